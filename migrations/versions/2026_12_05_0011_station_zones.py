"""Stored zones: each station keeps the codes of the priority zones its location lies in.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-05 12:30:00

Every station read used to find its zones with a spatial subquery on priority_zone_part (~45 us a
row, the dearest part of a page and of each change-feed event). The list is now a column, written
by the station's one write path when the location is set and by the zone service when a zone is
created, reshaped or deleted (both in the same transaction as the change). Not a revision: a zone
edit changes no station's own data. The order is the one the subquery gave (array_agg DISTINCT:
sorted codes). A GIN index serves the `zone=` and `zone_category=` filters.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL = """
UPDATE station s SET zones = m.codes
FROM (SELECT st.id, array_agg(DISTINCT zp.zone_code) AS codes
      FROM station st JOIN priority_zone_part zp ON ST_Intersects(zp.geom, st.location)
      GROUP BY st.id) m
WHERE m.id = s.id
"""


def upgrade() -> None:
    op.execute("ALTER TABLE station ADD COLUMN zones VARCHAR(64)[] DEFAULT '{}' NOT NULL")
    op.execute(FILL)
    op.execute("CREATE INDEX ix_station_zones ON station USING gin (zones)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_station_zones")
    op.execute("ALTER TABLE station DROP COLUMN zones")
