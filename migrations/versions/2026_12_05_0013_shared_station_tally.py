"""A maintained count of the stations in the public scope, for OGC's numberMatched without a count per page.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 12:30:00

`shared_station_tally` holds signed deltas whose sum is the number of stations that are neither
restricted nor closed (the public scope, and the scope of an agreement that covers all public
data). Statement-level triggers on `station` (with transition tables, so a COPY of a million rows
adds one row, not a million) append the change of each statement that moves stations in or out;
appending takes no row lock, so concurrent writers never wait on each other for it. The replication
monitor's chore folds the rows into one now and then (domain/sharing/service.py, compact_tally).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARED = "data_policy <> 'restricted' AND status <> 'closed'"
FUNCTION = f"""
CREATE FUNCTION tally_shared_stations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    change bigint := 0;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM shared_station_tally;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT change + count(*) INTO change FROM new_rows WHERE {SHARED};
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT change - count(*) INTO change FROM old_rows WHERE {SHARED};
    END IF;
    IF change <> 0 THEN
        INSERT INTO shared_station_tally (delta) VALUES (change);
    END IF;
    RETURN NULL;
END
$$
"""
TRIGGERS = {
    "tally_station_insert": "AFTER INSERT ON station REFERENCING NEW TABLE AS new_rows",
    "tally_station_update": "AFTER UPDATE ON station REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "tally_station_delete": "AFTER DELETE ON station REFERENCING OLD TABLE AS old_rows",
    "tally_station_truncate": "AFTER TRUNCATE ON station",
}


def upgrade() -> None:
    op.create_table(
        "shared_station_tally",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(FUNCTION)
    for name, event in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {event} FOR EACH STATEMENT EXECUTE FUNCTION tally_shared_stations()"
        )
    op.execute(f"INSERT INTO shared_station_tally (delta) SELECT count(*) FROM station WHERE {SHARED}")


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON station")
    op.execute("DROP FUNCTION tally_shared_stations()")
    op.drop_table("shared_station_tally")
