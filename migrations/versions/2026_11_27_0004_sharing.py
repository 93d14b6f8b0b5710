"""Sharing agreements, usage counts, and the change-feed horizon marker on station_revision.seq.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 03:00:00

The change feed (domain/sharing/feed.py explains why) needs every transaction that inserts a
revision to announce a lower bound of its first `seq` before it draws one. `seq` therefore gets a
default function that takes a shared transaction-level advisory lock keyed 2^62 + (next seq) on
the transaction's first revision, then calls nextval. The lock goes away at commit or rollback.
ix_station_shared_code (national_code, including location, over shareable stations only) lets
OGC and partner pages pick their keys by an index-only scan, bbox pages included.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# what partners and the public may ever see: pages of it are read in code order, index-only
SHARED = "data_policy <> 'restricted' AND status <> 'closed'"
NEXT_SEQ_FUNCTION = """
CREATE OR REPLACE FUNCTION station_revision_next_seq() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    low bigint;
BEGIN
    -- first revision of this transaction: announce a lower bound of its seq, held until it ends
    IF coalesce(current_setting('hydromet.feed_low', true), '') = '' THEN
        SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END
          INTO low FROM station_revision_seq_seq;
        PERFORM pg_advisory_xact_lock_shared(4611686018427387904 + low);
        PERFORM set_config('hydromet.feed_low', low::text, true);
    END IF;
    RETURN nextval('station_revision_seq_seq');
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "share_grant",
        sa.Column("organization", sa.String(length=32), nullable=False),
        sa.Column("networks", postgresql.ARRAY(sa.String(length=16)), nullable=True),
        sa.Column("station_types", postgresql.ARRAY(sa.String(length=32)), nullable=True),
        sa.Column("provinces", postgresql.ARRAY(sa.String(length=16)), nullable=True),
        sa.Column("data_policies", postgresql.ARRAY(sa.String(length=16)), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization"], ["organization.code"], onupdate="CASCADE", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("organization"),
    )
    op.create_table(
        "share_usage",
        sa.Column("organization", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["organization"], ["organization.code"], onupdate="CASCADE", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("organization", "day"),
    )
    op.execute(NEXT_SEQ_FUNCTION)
    op.execute("ALTER TABLE station_revision ALTER COLUMN seq SET DEFAULT station_revision_next_seq()")
    op.create_index(
        "ix_station_shared_code",
        "station",
        ["national_code"],
        unique=False,
        postgresql_include=["location"],
        postgresql_where=sa.text(SHARED),
    )


def downgrade() -> None:
    op.drop_index("ix_station_shared_code", table_name="station", postgresql_where=sa.text(SHARED))
    op.execute(
        "ALTER TABLE station_revision ALTER COLUMN seq "
        "SET DEFAULT nextval('station_revision_seq_seq'::regclass)"
    )
    op.execute("DROP FUNCTION IF EXISTS station_revision_next_seq()")
    op.drop_table("share_usage")
    op.drop_table("share_grant")
