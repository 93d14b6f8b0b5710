"""The station's spatial index covers a bbox page's keys; the table is clustered on it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 12:00:00

idx_station_location (GiST on location) is rebuilt with INCLUDE (national_code, data_policy, status,
location): a page of the stations in a box, sorted by national code, reads its keys from the index
alone (an index-only scan, then a top-N sort of the codes) and only then the 101 rows it returns.
PostGIS's GiST keeps a float box of each point, not the point, so the location is included again
for the exact test. data_policy and status answer the public and partner scopes in the index too.

The table is marked CLUSTER ON this index, so `hydromet db reorder` (CLUSTER station) lays the rows
of one box on neighbouring heap pages. This revision does not cluster: at 1M stations that holds an
ACCESS EXCLUSIVE lock for ~25 s, a maintenance window's choice. Rebuilding the index holds a SHARE
lock (writes wait; ~3 s at 1M stations). The downgrade restores the plain GiST index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INCLUDE = ["national_code", "data_policy", "status", "location"]


def upgrade() -> None:
    op.drop_index("idx_station_location", table_name="station", postgresql_using="gist")
    op.create_index(
        "idx_station_location", "station", ["location"], postgresql_using="gist", postgresql_include=INCLUDE
    )
    op.execute("ALTER TABLE station CLUSTER ON idx_station_location")


def downgrade() -> None:
    op.execute("ALTER TABLE station SET WITHOUT CLUSTER")
    op.drop_index("idx_station_location", table_name="station", postgresql_using="gist")
    op.create_index("idx_station_location", "station", ["location"], postgresql_using="gist")
