"""Value ranges: the database refuses numbers outside what the API accepts, whoever writes them.

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-05 09:00:00

Rows stored before the ranges existed are first brought into them the way the reads already treat
them (domain/coverage/rules.py area_per_station): a number out of range becomes the nearest legal one,
a NaN measure the loosest one, a NaN weight the default 1, and an impossible elevation unknown (NULL).
(NOT VALID constraints would keep the old rows as they were, but Alembic's autogenerate cannot
reflect them.) The bounds are written out because versions/ scripts import nothing from domain; they
match the API's (domain/coverage/rules.py SPACING_RANGE_KM, domain/zone/models.py,
domain/station/models.py, domain/maintenance/models.py). PostgreSQL orders NaN above every number,
so BETWEEN refuses it. The downgrade drops the constraints; repaired values stay repaired.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKS = (
    (
        "coverage_norm",
        "ck_coverage_norm_spacing_range",
        "spacing_km IS NULL OR spacing_km BETWEEN 0.1 AND 2000",
    ),
    (
        "coverage_norm",
        "ck_coverage_norm_area_range",
        "area_per_station_km2 IS NULL OR area_per_station_km2 BETWEEN 0.01 AND 4000000",
    ),
    ("priority_zone", "ck_priority_zone_weight_range", "priority_weight BETWEEN 0.01 AND 100"),
    ("station", "ck_station_elevation_range", "elevation_m IS NULL OR elevation_m BETWEEN -500 AND 9000"),
    ("maintenance_norm", "ck_maintenance_norm_interval_range", "interval_days BETWEEN 1 AND 36500"),
)


REPAIRS = (
    "UPDATE coverage_norm SET spacing_km = NULL, area_per_station_km2 = 4000000 WHERE spacing_km = 'NaN'",
    "UPDATE coverage_norm SET spacing_km = LEAST(GREATEST(spacing_km, 0.1), 2000) "
    "WHERE spacing_km NOT BETWEEN 0.1 AND 2000",
    "UPDATE coverage_norm SET area_per_station_km2 = 4000000 WHERE area_per_station_km2 = 'NaN'",
    "UPDATE coverage_norm SET area_per_station_km2 = LEAST(GREATEST(area_per_station_km2, 0.01), 4000000) "
    "WHERE area_per_station_km2 NOT BETWEEN 0.01 AND 4000000",
    "UPDATE priority_zone SET priority_weight = 1 WHERE priority_weight = 'NaN'",
    "UPDATE priority_zone SET priority_weight = LEAST(GREATEST(priority_weight, 0.01), 100) "
    "WHERE priority_weight NOT BETWEEN 0.01 AND 100",
    "UPDATE station SET elevation_m = NULL WHERE elevation_m NOT BETWEEN -500 AND 9000",
    "UPDATE maintenance_norm SET interval_days = 36500 WHERE interval_days > 36500",
)


def upgrade() -> None:
    for repair in REPAIRS:
        op.execute(repair)
    for table, name, condition in CHECKS:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition})")


def downgrade() -> None:
    for table, name, _ in reversed(CHECKS):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
