"""Shared state for many API processes and read replicas: rate windows and the replicated feed horizon.

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-05 09:00:00

`rate_window` counts requests per identity (a key id or a client address) per minute, for the
sliding-window rate limit that every API process shares. It is UNLOGGED: a crash may forget at most
a minute of counts, and each request's upsert writes no WAL (and nothing is sent to replicas).
`feed_mark` is one row: the change feed's horizon as computed on the primary (every seq up to it
is committed or gone for good). API processes with replicas refresh it every fraction of a second;
being replicated with the WAL, it tells a hot standby how far its copy of the feed is final
(domain/sharing/feed.py).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_window",
        sa.Column("identity", sa.String(length=80), nullable=False),
        sa.Column("window_no", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("identity", "window_no"),
        prefixes=["UNLOGGED"],
    )
    op.create_table(
        "feed_mark",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("horizon", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_feed_mark_one_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO feed_mark (id, horizon) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("feed_mark")
    op.drop_table("rate_window")
