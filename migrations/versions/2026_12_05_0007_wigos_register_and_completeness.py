"""WIGOS: the issue-number register, the ledger of issued identifiers, and the station fields OSCAR needs.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-05 09:00:00

station gets established_date (WMDR dateEstablished), programmes (WIGOS table 2-02 notations), and
wmo_region / territory (elements 3-01 and 3-02, derived from the position: every point of the service
area is in Region II, Asia, and Viet Nam's, so existing rows are filled with 'asia' and 'VNM').
wigos_issue_number is the register of issue numbers delegated under issuer 704; wigos_issued_id keeps
every identifier issued, for good (its primary key is what makes "never issued twice" hold).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("station", sa.Column("established_date", sa.Date(), nullable=True))
    op.add_column("station", sa.Column("wmo_region", sa.String(length=16), nullable=True))
    op.add_column("station", sa.Column("territory", sa.String(length=3), nullable=True))
    op.add_column(
        "station",
        sa.Column("programmes", postgresql.ARRAY(sa.String(length=64)), server_default="{}", nullable=False),
    )
    op.execute("UPDATE station SET wmo_region = 'asia', territory = 'VNM'")
    op.create_table(
        "wigos_issue_number",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("organization", sa.String(length=32), nullable=False),
        sa.Column("network", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_by", sa.String(length=200), nullable=True),
        sa.Column("next_local", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("number BETWEEN 0 AND 65534", name="ck_wigos_issue_number_range"),
        sa.CheckConstraint("next_local >= 0", name="ck_wigos_issue_number_next_local"),
        sa.ForeignKeyConstraint(["organization"], ["organization.code"], onupdate="CASCADE"),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_index(
        op.f("ix_wigos_issue_number_organization"), "wigos_issue_number", ["organization"], unique=False
    )
    op.create_table(
        "wigos_issued_id",
        sa.Column("wsi", sa.String(length=40), nullable=False),
        sa.Column("issue_number", sa.Integer(), nullable=True),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("organization", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["issue_number"], ["wigos_issue_number.number"]),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"]),
        sa.PrimaryKeyConstraint("wsi"),
    )
    op.create_index(
        op.f("ix_wigos_issued_id_issue_number"), "wigos_issued_id", ["issue_number"], unique=False
    )
    op.create_index(op.f("ix_wigos_issued_id_station_id"), "wigos_issued_id", ["station_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_wigos_issued_id_station_id"), table_name="wigos_issued_id")
    op.drop_index(op.f("ix_wigos_issued_id_issue_number"), table_name="wigos_issued_id")
    op.drop_table("wigos_issued_id")
    op.drop_index(op.f("ix_wigos_issue_number_organization"), table_name="wigos_issue_number")
    op.drop_table("wigos_issue_number")
    op.drop_column("station", "programmes")
    op.drop_column("station", "territory")
    op.drop_column("station", "wmo_region")
    op.drop_column("station", "established_date")
