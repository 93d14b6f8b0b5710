"""All coverage SQL: station counts per zone, the coverage-gap CTE, candidate sites, norms.

Buffers and areas are computed in SRID 990001, a Lambert azimuthal equal-area projection centred
on Viet Nam (registered by migration 0003): areas are exact on the ellipsoid and distances are
within 0.7% of geodesic anywhere in the service area, at a fraction of geography's cost.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from domain.coverage.models import CoverageNorm
from domain.zone.models import PriorityZone

VN_LAEA_SRID = 990001
Z = PriorityZone.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StationScope:
    """Which stations count: a type, statuses, and what the caller may see."""

    station_type: str
    statuses: list[str]
    see_all: bool
    organization: str | None

    def params(self) -> dict[str, Any]:
        """Return the bound parameters the station conditions of the coverage SQL use."""
        return {
            "station_type": self.station_type, "statuses": self.statuses,
            "see_all": self.see_all, "org": self.organization,
        }  # fmt: skip


_STATION_SCOPE = """
    s.station_types @> ARRAY[CAST(:station_type AS varchar)]
    AND s.status = ANY(CAST(:statuses AS text[]))
    AND (:see_all OR s.data_policy <> 'restricted' OR s.owner = :org OR s.operator = :org)
"""

# From `parts` (part_id, g in WGS84, pg in 990001, ...): for each part, the counted stations
# within the radius (GiST box prefilter, then exact distance in 990001), as coordinate arrays.
# Subtracting their disks is done in shapely (domain/coverage/rules.py): a lazy one-by-one
# difference skips the disks that no longer touch what is left, where ST_Union of every buffer
# cost 40 s for 100k rain gauges (bench/RESULTS.md, Zones and coverage).
_PART_STATIONS = f"""
near AS (
    SELECT p.part_id, s.id AS station_id, ST_Transform(s.location, 990001) AS sp
    FROM parts p
    JOIN station s ON s.location && ST_Expand(p.g, :margin_deg)
    WHERE {_STATION_SCOPE}
      AND ST_DWithin(ST_Transform(s.location, 990001), p.pg, :radius_m)
),
by_part AS (
    SELECT part_id, array_agg(ST_X(sp)) AS xs, array_agg(ST_Y(sp)) AS ys, array_agg(station_id::text) AS ids
    FROM near GROUP BY part_id
)
"""

# The area of a gap question: one zone's stored parts, or the union of several zones subdivided
# again (so overlapping zones count once); each part with the stations that may cover it.
GAP_PARTS_SQL = text(
    f"""
WITH area AS (
    SELECT zp.geom AS g FROM priority_zone_part zp
    WHERE cardinality(CAST(:codes AS text[])) = 1 AND zp.zone_code = (CAST(:codes AS text[]))[1]
    UNION ALL
    SELECT ST_Subdivide(ST_Union(z.geom), 255) FROM priority_zone z
    WHERE cardinality(CAST(:codes AS text[])) > 1 AND z.code = ANY(CAST(:codes AS text[]))
),
parts AS (
    SELECT row_number() OVER () AS part_id, g, ST_Transform(g, 990001) AS pg FROM area
),
{_PART_STATIONS}
SELECT NULL::text, 1.0::float8, ST_AsBinary(p.pg), b.xs, b.ys, b.ids
FROM parts p LEFT JOIN by_part b USING (part_id)
"""
)

# Each zone's own parts with its weight (for proposals: overlapping zones each count).
ZONE_PARTS_SQL = text(
    f"""
WITH parts AS (
    SELECT row_number() OVER () AS part_id, zp.zone_code, z.priority_weight AS w, zp.geom AS g,
           ST_Transform(zp.geom, 990001) AS pg
    FROM priority_zone_part zp JOIN priority_zone z ON z.code = zp.zone_code
    WHERE z.code = ANY(CAST(:codes AS text[]))
),
{_PART_STATIONS}
SELECT p.zone_code, p.w, ST_AsBinary(p.pg), b.xs, b.ys, b.ids
FROM parts p LEFT JOIN by_part b USING (part_id)
"""
)

# A geometry in 990001 metres as WGS84 GeoJSON (a MultiPolygon).
GEOJSON_SQL = text(
    "SELECT ST_AsGeoJSON(ST_Transform(ST_Multi(ST_CollectionExtract(ST_GeomFromWKB(:wkb, 990001), 3)), 4326), 6)"
)

# Points in 990001 metres back to WGS84 longitude and latitude, in the order given.
LONLAT_SQL = text(
    """
SELECT ST_X(ll), ST_Y(ll)
FROM (
    SELECT i, ST_Transform(ST_SetSRID(ST_MakePoint(x, y), 990001), 4326) AS ll
    FROM unnest(CAST(:xs AS float8[]), CAST(:ys AS float8[])) WITH ORDINALITY AS t(x, y, i)
) c
ORDER BY i
"""
)

# Land: every polygon of every province, in 990001 metres.
LAND_SQL = text(
    "SELECT ST_AsBinary(ST_Transform(d.geom, 990001)) FROM province pr, LATERAL ST_Dump(pr.geom) d"
)

# Stations inside each zone, by type and in total (a station of two types counts once in the total).
COUNTS_SQL = text(
    """
SELECT zp.zone_code, t.station_type, count(DISTINCT s.id)
FROM priority_zone_part zp
JOIN station s ON ST_Intersects(zp.geom, s.location)
CROSS JOIN LATERAL unnest(s.station_types) AS t(station_type)
WHERE zp.zone_code = ANY(CAST(:codes AS text[]))
  AND s.status = ANY(CAST(:statuses AS text[]))
  AND (:see_all OR s.data_policy <> 'restricted' OR s.owner = :org OR s.operator = :org)
GROUP BY GROUPING SETS ((zp.zone_code, t.station_type), (zp.zone_code))
"""
)


NO_JIT = text("SET LOCAL jit = off")


def without_jit(session: Session) -> None:
    """Turn JIT off for the rest of the transaction: spatial functions are costed so high that every
    coverage query would pay ~0.5-1 s of compilation for nothing (measured in bench/bench_coverage.py)."""
    session.execute(NO_JIT)


def _margin_deg(radius_m: float) -> float:
    # A degree of longitude is at least 101 km below 24.5 N (the service area ends at 23.7 N);
    # 5% more covers the projection's distance error. Only a bounding-box prefilter.
    return radius_m / 101_000 * 1.05 + 0.01


@dataclass(frozen=True)
class PartStations:
    """A part of the area (WKB in 990001 metres) with its zone, weight and the stations near it."""

    zone: str | None
    weight: float
    wkb: bytes
    xs: list[float]
    ys: list[float]
    station_ids: list[str]


def part_stations(
    session: Session, *, codes: list[str], scope: StationScope, radius_m: float, per_zone: bool
) -> list[PartStations]:
    """Return the parts of the zones (merged, or each zone's own) with the counted stations near each."""
    params = scope.params() | {"codes": codes, "radius_m": radius_m, "margin_deg": _margin_deg(radius_m)}
    without_jit(session)
    rows = session.execute(ZONE_PARTS_SQL if per_zone else GAP_PARTS_SQL, params)
    return [
        PartStations(zone, float(w), bytes(wkb), list(xs or []), list(ys or []), list(ids or []))
        for zone, w, wkb, xs, ys, ids in rows
    ]


def as_geojson(session: Session, wkb: bytes) -> str:
    """Return a geometry in 990001 metres as WGS84 GeoJSON text."""
    return str(session.execute(GEOJSON_SQL, {"wkb": wkb}).scalar_one())


def lonlat_of(session: Session, points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Return projected points as (lon, lat), in the order given."""
    if not points:
        return []
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [(float(r[0]), float(r[1])) for r in session.execute(LONLAT_SQL, {"xs": xs, "ys": ys})]


def land_polygons(session: Session) -> list[bytes]:
    """Return the land (every province polygon) as WKB in SRID 990001 metres."""
    return [bytes(r[0]) for r in session.execute(LAND_SQL)]


def count_stations_in_zones(
    session: Session, *, codes: list[str], statuses: list[str], see_all: bool, organization: str | None
) -> dict[str, dict[str | None, int]]:
    """Return {zone code: {station type: count, None: total}} for stations inside each zone."""
    params = {"codes": codes, "statuses": statuses, "see_all": see_all, "org": organization}
    without_jit(session)
    counts: dict[str, dict[str | None, int]] = {}
    for code, station_type, n in session.execute(COUNTS_SQL, params):
        counts.setdefault(str(code), {})[station_type] = int(n)
    return counts


def select_zone_rows(session: Session, codes: list[str]) -> list[tuple[Any, ...]]:
    """Return (code, name, category, hazard, weight, area_km2, land_area_km2) of these zones, by code."""
    stmt = select(Z.code, Z.name, Z.category, Z.hazard, Z.priority_weight, Z.area_km2, Z.land_area_km2)
    return [tuple(r) for r in session.execute(stmt.where(Z.code.in_(codes)).order_by(Z.code))]


def select_norms(session: Session) -> list[CoverageNorm]:
    """Return every coverage norm, ordered for display."""
    stmt = orm_select(CoverageNorm).order_by(
        col(CoverageNorm.zone_category), col(CoverageNorm.station_type), col(CoverageNorm.level)
    )
    return list(session.exec(stmt).all())


def select_norm(session: Session, norm_id: int) -> CoverageNorm | None:
    """Return one norm."""
    return session.get(CoverageNorm, norm_id)


def lock_norm(session: Session, norm_id: int) -> CoverageNorm | None:
    """Return one norm locked FOR UPDATE."""
    stmt = orm_select(CoverageNorm).where(col(CoverageNorm.id) == norm_id).with_for_update()
    return session.exec(stmt).first()


def select_norm_by_key(
    session: Session, station_type: str, zone_category: str, level: str
) -> CoverageNorm | None:
    """Return the norm of this station type, zone category and level."""
    stmt = orm_select(CoverageNorm).where(
        col(CoverageNorm.station_type) == station_type,
        col(CoverageNorm.zone_category) == zone_category,
        col(CoverageNorm.level) == level,
    )
    return session.exec(stmt).first()


def insert_norm(session: Session, norm: CoverageNorm) -> None:
    """Add a norm (flushed, so a duplicate key fails here)."""
    session.add(norm)
    session.flush()


def delete_norm(session: Session, norm: CoverageNorm) -> None:
    """Delete a norm."""
    session.delete(norm)
    session.flush()
