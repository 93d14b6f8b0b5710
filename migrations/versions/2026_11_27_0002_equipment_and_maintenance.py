"""Equipment kinds and items, maintenance norms and records.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "equipment_type",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=True),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("wmds_register", sa.String(length=64), nullable=True),
        sa.Column("wmds_notation", sa.String(length=32), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "equipment_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("manufacturer", sa.String(length=200), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("serial_number", sa.String(length=100), nullable=True),
        sa.Column("firmware", sa.String(length=100), nullable=True),
        sa.Column("installed_date", sa.Date(), nullable=False),
        sa.Column("removed_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.ForeignKeyConstraint(["kind"], ["equipment_type.code"], onupdate="CASCADE"),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_equipment_item_station_id", "equipment_item", ["station_id"])
    op.create_index("ix_equipment_item_kind", "equipment_item", ["kind"])
    op.create_index(
        "uq_equipment_item_active_serial",
        "equipment_item",
        ["manufacturer", "serial_number"],
        unique=True,
        postgresql_where=sa.text("removed_date IS NULL AND serial_number IS NOT NULL"),
    )
    op.create_table(
        "maintenance_norm",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("station_type", sa.String(length=32), nullable=True),
        sa.Column("automation", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        _timestamp("updated_at"),
        sa.CheckConstraint("interval_days > 0", name="ck_maintenance_norm_interval_positive"),
        sa.ForeignKeyConstraint(["kind"], ["equipment_type.code"], onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "kind",
            "station_type",
            "automation",
            "action",
            name="uq_maintenance_norm_scope",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index("ix_maintenance_norm_kind", "maintenance_norm", ["kind"])
    op.create_table(
        "maintenance_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("equipment_id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("performed_by", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("organization", sa.String(length=32), nullable=True),
        _timestamp("created_at"),
        sa.ForeignKeyConstraint(["equipment_id"], ["equipment_item.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_maintenance_record_last", "maintenance_record", ["equipment_id", "action", "performed_on"]
    )
    op.create_index("ix_maintenance_record_station_id", "maintenance_record", ["station_id"])


def downgrade() -> None:
    op.drop_index("ix_maintenance_record_station_id", table_name="maintenance_record")
    op.drop_index("ix_maintenance_record_last", table_name="maintenance_record")
    op.drop_table("maintenance_record")
    op.drop_index("ix_maintenance_norm_kind", table_name="maintenance_norm")
    op.drop_table("maintenance_norm")
    op.drop_index("uq_equipment_item_active_serial", table_name="equipment_item")
    op.drop_index("ix_equipment_item_kind", table_name="equipment_item")
    op.drop_index("ix_equipment_item_station_id", table_name="equipment_item")
    op.drop_table("equipment_item")
    op.drop_table("equipment_type")
