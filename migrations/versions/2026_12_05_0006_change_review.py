"""Review: organizations under review, change requests, and the approver of a revision.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 09:00:00

organization.review_required is true for ministries, provinces and enterprises, false for the
national agency and partners (the application applies the same default to new organizations; admins
change it; the column's own default, false, only serves raw inserts). A change request keeps what was submitted until a reviewer decides; a new station is
written to `station` only when approved, so `change_request.station_id` has no foreign key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "organization",
        sa.Column("review_required", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE organization SET review_required = kind IN ('ministry', 'province', 'enterprise')")
    op.add_column("station_revision", sa.Column("approved_by", sa.String(length=200), nullable=True))
    op.create_table(
        "change_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("organization", sa.String(length=32), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=True),
        sa.Column("base_revision", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitter_role", sa.String(length=16), nullable=False),
        sa.Column("submitter_key_id", sa.Uuid(), nullable=True),
        sa.Column(
            "submitted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("diff", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("report", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("upload", sa.LargeBinary(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["organization"], ["organization.code"], onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_change_request_queue", "change_request", ["status", "submitted_at", "id"], unique=False
    )
    op.create_index(op.f("ix_change_request_organization"), "change_request", ["organization"], unique=False)
    op.create_index(op.f("ix_change_request_station_id"), "change_request", ["station_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_change_request_station_id"), table_name="change_request")
    op.drop_index(op.f("ix_change_request_organization"), table_name="change_request")
    op.drop_index("ix_change_request_queue", table_name="change_request")
    op.drop_table("change_request")
    op.drop_column("station_revision", "approved_by")
    op.drop_column("organization", "review_required")
