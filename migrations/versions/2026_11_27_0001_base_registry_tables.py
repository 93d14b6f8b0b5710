"""Base registry tables: PostGIS, organizations, keys, provinces, zones, stations and revisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 02:56:34.186413
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "organization",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("province", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_geospatial_table(
        "priority_zone",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("hazard", sa.String(length=32), nullable=True),
        sa.Column("priority_weight", sa.Float(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("area_km2", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_geospatial_index(
        "idx_priority_zone_geom",
        "priority_zone",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_priority_zone_category"), "priority_zone", ["category"], unique=False)
    op.create_geospatial_table(
        "province",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_geospatial_index(
        "idx_province_geom", "province", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization"],
            ["organization.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_index(op.f("ix_api_key_organization"), "api_key", ["organization"], unique=False)
    op.create_geospatial_table(
        "priority_zone_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_code", sa.String(length=64), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["zone_code"], ["priority_zone.code"], onupdate="CASCADE", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_geospatial_index(
        "idx_priority_zone_part_geom",
        "priority_zone_part",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_priority_zone_part_zone_code"), "priority_zone_part", ["zone_code"], unique=False
    )
    op.create_geospatial_table(
        "station",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("national_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("network", sa.String(length=16), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("station_types", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("automation", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("elevation_m", sa.Float(), nullable=True),
        sa.Column("wigos_ids", postgresql.ARRAY(sa.String(length=40)), server_default="{}", nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("operator", sa.String(length=32), nullable=True),
        sa.Column("data_policy", sa.String(length=16), nullable=False),
        sa.Column("province", sa.String(length=16), nullable=True),
        sa.Column("river", sa.String(), nullable=True),
        sa.Column("basin", sa.String(), nullable=True),
        sa.Column("variables", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("closed_date", sa.Date(), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("successor_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["operator"], ["organization.code"], onupdate="CASCADE"),
        sa.ForeignKeyConstraint(["owner"], ["organization.code"], onupdate="CASCADE"),
        sa.ForeignKeyConstraint(
            ["province"],
            ["province.code"],
        ),
        sa.ForeignKeyConstraint(
            ["successor_id"],
            ["station.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("national_code", name="uq_station_code"),
    )
    op.create_geospatial_index(
        "idx_station_location",
        "station",
        ["location"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_station_automation"), "station", ["automation"], unique=False)
    op.create_index(op.f("ix_station_data_policy"), "station", ["data_policy"], unique=False)
    op.create_index(op.f("ix_station_network"), "station", ["network"], unique=False)
    op.create_index(op.f("ix_station_owner"), "station", ["owner"], unique=False)
    op.create_index(op.f("ix_station_province"), "station", ["province"], unique=False)
    op.create_index(
        "ix_station_search_trgm",
        "station",
        ["search_text"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_station_station_types", "station", ["station_types"], unique=False, postgresql_using="gin"
    )
    op.create_index(op.f("ix_station_status"), "station", ["status"], unique=False)
    op.create_index("ix_station_updated_at", "station", ["updated_at"], unique=False)
    op.create_index("ix_station_wigos_ids", "station", ["wigos_ids"], unique=False, postgresql_using="gin")
    op.create_table(
        "station_revision",
        sa.Column("seq", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("organization", sa.String(length=32), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("station_id", "revision", name="uq_station_revision"),
    )
    op.create_index(op.f("ix_station_revision_station_id"), "station_revision", ["station_id"], unique=False)
    op.create_table(
        "station_wigos_id",
        sa.Column("wsi", sa.String(length=40), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("wsi"),
    )
    op.create_index(op.f("ix_station_wigos_id_station_id"), "station_wigos_id", ["station_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_station_wigos_id_station_id"), table_name="station_wigos_id")
    op.drop_table("station_wigos_id")
    op.drop_index(op.f("ix_station_revision_station_id"), table_name="station_revision")
    op.drop_table("station_revision")
    op.drop_index("ix_station_wigos_ids", table_name="station", postgresql_using="gin")
    op.drop_index("ix_station_updated_at", table_name="station")
    op.drop_index(op.f("ix_station_status"), table_name="station")
    op.drop_index("ix_station_station_types", table_name="station", postgresql_using="gin")
    op.drop_index(
        "ix_station_search_trgm",
        table_name="station",
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.drop_index(op.f("ix_station_province"), table_name="station")
    op.drop_index(op.f("ix_station_owner"), table_name="station")
    op.drop_index(op.f("ix_station_network"), table_name="station")
    op.drop_index(op.f("ix_station_data_policy"), table_name="station")
    op.drop_index(op.f("ix_station_automation"), table_name="station")
    op.drop_geospatial_index(
        "idx_station_location", table_name="station", postgresql_using="gist", column_name="location"
    )
    op.drop_geospatial_table("station")
    op.drop_index(op.f("ix_priority_zone_part_zone_code"), table_name="priority_zone_part")
    op.drop_geospatial_index(
        "idx_priority_zone_part_geom",
        table_name="priority_zone_part",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("priority_zone_part")
    op.drop_index(op.f("ix_api_key_organization"), table_name="api_key")
    op.drop_table("api_key")
    op.drop_geospatial_index(
        "idx_province_geom", table_name="province", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("province")
    op.drop_index(op.f("ix_priority_zone_category"), table_name="priority_zone")
    op.drop_geospatial_index(
        "idx_priority_zone_geom", table_name="priority_zone", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("priority_zone")
    op.drop_table("organization")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
    op.execute("DROP EXTENSION IF EXISTS postgis")
