"""All zone SQL: zone Features built in the database, keyset pages, subdivided parts, areas."""

from typing import Any

from sqlalchemy import Numeric, Text, cast, delete, func, null, select, text, update
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from domain.db.spatial import as_geography
from domain.province.models import Province
from domain.zone.models import ZONE_EDIT_LOCK, PriorityZone, PriorityZonePart

ZONE = PriorityZone.__table__  # type: ignore[attr-defined]
PART = PriorityZonePart.__table__  # type: ignore[attr-defined]
Z = ZONE.c
ZP = PART.c
# Vertices per part: small parts keep point-in-zone tests fast whatever the zone's size.
SUBDIVIDE_MAX_VERTICES = 255
# The zone is first cut on a grid of this many degrees, so a long thin zone (the coastal strip)
# gets parts whose bounding boxes hug it: at 1M stations a strip count tests ~1.3x its members
# against the parts instead of most of the table (bench/RESULTS.md, Zones and coverage).
GRID_CELL_DEG = 0.5
INSERT_PARTS = text(
    """
INSERT INTO priority_zone_part (zone_code, geom)
SELECT z.code, ST_Subdivide(piece, :max_vertices)
FROM priority_zone z
CROSS JOIN LATERAL ST_SquareGrid(:cell, z.geom) AS cell
CROSS JOIN LATERAL ST_CollectionExtract(ST_Intersection(z.geom, cell.geom), 3) AS piece
WHERE z.code = :code AND ST_Intersects(z.geom, cell.geom) AND NOT ST_IsEmpty(piece)
"""
)
GEOJSON_DIGITS = 6
EDIT_LOCK = text("SELECT pg_advisory_xact_lock(:k1, :k2)")
# The stations' stored zone lists (station.zones, migration 0011) after a zone was created, reshaped or
# deleted. The station table belongs to the station context (which depends on this one), so it is
# written here as plain SQL. Only this zone's membership can change: a station inside its parts now
# gains the code (kept sorted, as array_agg(DISTINCT) gives it), one listing it but outside loses it,
# and the others are not written at all. Not a revision: the station's own data did not change.
RESTAMP_MEMBERS = text(
    """
WITH inside AS (
  SELECT DISTINCT s.id FROM priority_zone_part p JOIN station s ON ST_Intersects(p.geom, s.location)
  WHERE p.zone_code = :code
), touched AS (
  SELECT id FROM inside UNION SELECT id FROM station WHERE zones @> ARRAY[CAST(:code AS varchar)]
)
UPDATE station s SET zones = CASE WHEN i.id IS NULL THEN array_remove(s.zones, CAST(:code AS varchar))
  ELSE ARRAY(SELECT z FROM unnest(s.zones || CAST(:code AS varchar)) AS z ORDER BY z) END
FROM touched t LEFT JOIN inside i ON i.id = t.id
WHERE s.id = t.id AND (i.id IS NULL) = (CAST(:code AS varchar) = ANY(s.zones))
"""
)


def zone_feature(*, with_geometry: bool = True) -> ColumnElement[Any]:
    """Return the SQL expression of one zone as a GeoJSON Feature (json)."""
    geometry = cast(func.ST_AsGeoJSON(Z.geom, GEOJSON_DIGITS), JSON) if with_geometry else null()
    props = func.json_build_object(
        "code", Z.code, "name", Z.name, "category", Z.category, "hazard", Z.hazard,
        "priority_weight", Z.priority_weight, "source", Z.source,
        "area_km2", func.round(cast(Z.area_km2, Numeric), 3),
        "land_area_km2", func.round(cast(Z.land_area_km2, Numeric), 3),
        "created_at", Z.created_at, "updated_at", Z.updated_at, "revision", Z.revision,
    )  # fmt: skip
    return func.json_build_object("type", "Feature", "id", Z.code, "geometry", geometry, "properties", props)


def select_zone_json(session: Session, code: str) -> tuple[str, int] | None:
    """Return one zone as GeoJSON Feature text with its revision, or None."""
    stmt = select(cast(zone_feature(), Text), Z.revision).where(Z.code == code)
    row = session.execute(stmt).first()
    return (str(row[0]), int(row[1])) if row else None


def select_zone_page(
    *, category: str | None, hazard: str | None, after: str | None, limit: int, with_geometry: bool
) -> Any:
    """Return the query of one keyset page of zones by code (limit + 1 rows)."""
    stmt = select(Z.code, cast(zone_feature(with_geometry=with_geometry), Text))
    if category:
        stmt = stmt.where(Z.category == category)
    if hazard:
        stmt = stmt.where(Z.hazard == hazard)
    if after is not None:
        stmt = stmt.where(Z.code > after)
    return stmt.order_by(Z.code).limit(limit + 1)


def lock_zone(session: Session, code: str) -> PriorityZone | None:
    """Return the zone row locked FOR UPDATE (serializes concurrent writers)."""
    stmt = orm_select(PriorityZone).where(col(PriorityZone.code) == code).with_for_update()
    return session.exec(stmt).first()


def select_zone(session: Session, code: str) -> PriorityZone | None:
    """Return the zone with this code."""
    return session.get(PriorityZone, code)


def select_zone_codes(session: Session, *, category: str | None = None) -> list[str]:
    """Return the codes of every zone, or of one category's zones, in order."""
    stmt = select(Z.code).order_by(Z.code)
    if category:
        stmt = stmt.where(Z.category == category)
    return [str(c) for c in session.scalars(stmt)]


def insert_zone(session: Session, zone: PriorityZone) -> None:
    """Add a zone (flushed, so a duplicate code fails here)."""
    session.add(zone)
    session.flush()


def refresh_zone_parts(session: Session, code: str) -> None:
    """Rebuild a zone's subdivided parts and its geodesic area from its geometry."""
    session.execute(delete(PART).where(ZP.zone_code == code))
    session.execute(
        INSERT_PARTS, {"code": code, "cell": GRID_CELL_DEG, "max_vertices": SUBDIVIDE_MAX_VERTICES}
    )
    area = func.ST_Area(as_geography(Z.geom)) / 1e6
    P = Province.__table__.c  # type: ignore[attr-defined]
    on_land = func.ST_Area(as_geography(func.ST_Intersection(ZP.geom, P.geom))) / 1e6
    land = (
        select(func.coalesce(func.sum(on_land), 0.0))
        .select_from(PART.join(Province.__table__, func.ST_Intersects(ZP.geom, P.geom)))  # type: ignore[attr-defined]
        .where(ZP.zone_code == code)
        .scalar_subquery()
    )
    session.execute(update(ZONE).where(Z.code == code).values(area_km2=area, land_area_km2=land))


def delete_zone(session: Session, zone: PriorityZone) -> None:
    """Delete a zone (its parts go with it)."""
    session.delete(zone)
    session.flush()


def hold_zone_edits(session: Session) -> None:
    """Take the zone edit lock (ZONE_EDIT_LOCK) until the transaction ends, after station writes under way."""
    session.execute(EDIT_LOCK, dict(zip(("k1", "k2"), ZONE_EDIT_LOCK, strict=True)))


def restamp_members(session: Session, code: str) -> int:
    """Bring the stored zone lists of the stations inside or listing zone `code` up to date; return how many changed."""
    return int(session.execute(RESTAMP_MEMBERS, {"code": code}).rowcount)  # type: ignore[attr-defined]
