"""Zones and coverage: zone revision and land area, coverage norms, Viet Nam's equal-area projection.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Lambert azimuthal equal-area centred on Viet Nam and the East Sea (108E, 15N): areas are exact
# on the WGS84 ellipsoid, and distances within 0.7% everywhere in the service area. Coverage
# buffers and areas are computed in it; a registered SRID keeps ST_Transform's PROJ object cached.
VN_LAEA_SRID = 990001
VN_LAEA_PROJ4 = "+proj=laea +lat_0=15 +lon_0=108 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
VN_LAEA_WKT = (
    'PROJCS["Viet Nam LAEA (hydromet registry)",GEOGCS["WGS 84",DATUM["WGS_1984",'
    'SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],'
    'PROJECTION["Lambert_Azimuthal_Equal_Area"],PARAMETER["latitude_of_center",15],'
    'PARAMETER["longitude_of_center",108],PARAMETER["false_easting",0],PARAMETER["false_northing",0],'
    'UNIT["metre",1]]'
)


def upgrade() -> None:
    op.add_column("priority_zone", sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
    op.add_column("priority_zone", sa.Column("land_area_km2", sa.Float(), server_default="0", nullable=False))
    op.create_table(
        "coverage_norm",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_type", sa.String(length=32), nullable=False),
        sa.Column("zone_category", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("spacing_km", sa.Float(), nullable=True),
        sa.Column("area_per_station_km2", sa.Float(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "num_nonnulls(spacing_km, area_per_station_km2) = 1", name="ck_coverage_norm_one_measure"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("station_type", "zone_category", "level", name="uq_coverage_norm"),
    )
    op.execute(
        sa.text(
            "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, srtext, proj4text) "
            "VALUES (:srid, 'hydromet', :srid, :wkt, :proj4) ON CONFLICT (srid) DO NOTHING"
        ).bindparams(srid=VN_LAEA_SRID, wkt=VN_LAEA_WKT, proj4=VN_LAEA_PROJ4)
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM spatial_ref_sys WHERE srid = :srid").bindparams(srid=VN_LAEA_SRID))
    op.drop_table("coverage_norm")
    op.drop_column("priority_zone", "land_area_km2")
    op.drop_column("priority_zone", "revision")
