"""Pure rules of priority zones: codes, hazards, and every check a zone geometry must pass."""

import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

from shapely import prepared
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from domain.errors import InvalidGeometry, RuleViolation
from domain.geo import service_area

ZONE_CODE_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_VERTICES = 100_000
MAX_AREA_KM2 = 2_000_000.0
# Share of a zone allowed outside the service area: slivers where two boundary sources disagree.
MAX_OUTSIDE_SHARE = 0.01
EARTH_RADIUS_KM = 6371.0088
GEOMETRY = "#/geometry"
_LOCATION = re.compile(r"\[\s*(-?[\d.]+(?:e-?\d+)?)\s+(-?[\d.]+(?:e-?\d+)?)")


class WrongGeometryType(InvalidGeometry):
    code = "wrong-geometry-type"
    title = "A zone must be a Polygon or MultiPolygon"


class MalformedCoordinates(InvalidGeometry):
    code = "malformed-coordinates"
    title = "Coordinates are not nested arrays of [longitude, latitude] numbers"


class CoordinateOutOfRange(InvalidGeometry):
    code = "coordinate-out-of-range"
    title = "Coordinate out of range"


class RingNotClosed(InvalidGeometry):
    code = "ring-not-closed"
    title = "A polygon ring is not closed"


class SelfIntersection(InvalidGeometry):
    code = "self-intersection"
    title = "The geometry intersects itself"


class InvalidPolygon(InvalidGeometry):
    code = "invalid-polygon"
    title = "The polygon is not valid"


class EmptyGeometry(InvalidGeometry):
    code = "empty-geometry"
    title = "The geometry is empty"


class GeometryTooLarge(InvalidGeometry):
    code = "geometry-too-large"
    title = "The geometry is too large"


class TooManyVertices(InvalidGeometry):
    code = "too-many-vertices"
    title = "The geometry has more vertices than allowed"


class ZoneOutsideServiceArea(InvalidGeometry):
    code = "zone-outside-service-area"
    title = "Zone outside Viet Nam's land, sea and archipelagos"


class HazardRequired(RuleViolation):
    code = "hazard-required"
    title = "A disaster-prone zone needs a hazard"


def check_hazard(category: str, hazard: str | None) -> None:
    """Raise HazardRequired when a disaster-prone zone names no hazard."""
    if category == "disaster_prone" and hazard is None:
        raise HazardRequired(
            "a disaster_prone zone must name its hazard (typhoon, flood, flash_flood, landslide, "
            "storm_surge, drought, saline_intrusion)",
            pointer="#/properties/hazard",
        )


def _polygons(geometry: Any) -> list[tuple[str, Any]]:
    if not isinstance(geometry, dict):
        raise WrongGeometryType("geometry must be a GeoJSON geometry object", pointer=GEOMETRY)
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        raise WrongGeometryType(
            f"geometry type {kind!r} is not allowed: a zone must be a Polygon or MultiPolygon",
            pointer=f"{GEOMETRY}/type",
            value=kind,
        )
    if not isinstance(coords, list | tuple):
        raise MalformedCoordinates(f"{kind} coordinates must be an array", pointer=f"{GEOMETRY}/coordinates")
    if not coords:
        raise EmptyGeometry(f"the {kind} has no coordinates", pointer=f"{GEOMETRY}/coordinates")
    if kind == "Polygon":
        return [(f"{GEOMETRY}/coordinates", coords)]
    return [(f"{GEOMETRY}/coordinates/{i}", polygon) for i, polygon in enumerate(coords)]


def _position(value: Any, pointer: str) -> tuple[float, float]:
    ok = isinstance(value, list | tuple) and len(value) in (2, 3)
    ok = ok and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    )
    if not ok:
        raise MalformedCoordinates(
            f"position {value!r} is not [longitude, latitude]", pointer=pointer, value=repr(value)[:100]
        )
    lon, lat = float(value[0]), float(value[1])
    if not -180 <= lon <= 180:
        raise CoordinateOutOfRange(f"longitude {lon} is outside [-180, 180]", pointer=pointer, value=value)
    if not -90 <= lat <= 90:
        raise CoordinateOutOfRange(f"latitude {lat} is outside [-90, 90]", pointer=pointer, value=value)
    return lon, lat


def _ring(ring: Any, pointer: str) -> list[tuple[float, float]]:
    if not isinstance(ring, list | tuple):
        raise MalformedCoordinates("a ring must be an array of positions", pointer=pointer)
    points = [_position(p, f"{pointer}/{i}") for i, p in enumerate(ring)]
    if len(points) < 4:
        raise InvalidPolygon(
            f"a ring needs at least 4 positions (the last repeating the first), this one has {len(points)}",
            pointer=pointer,
        )
    if points[0] != points[-1]:
        raise RingNotClosed(
            f"the ring starts at {list(points[0])} but ends at {list(points[-1])}: "
            "its last position must repeat the first",
            pointer=pointer,
            location=list(points[0]),
        )
    return points


def _rings(polygons: list[tuple[str, Any]]) -> Iterator[list[list[tuple[float, float]]]]:
    vertices = 0
    for pointer, polygon in polygons:
        if not isinstance(polygon, list | tuple) or not polygon:
            raise EmptyGeometry("a polygon must have an outer ring", pointer=pointer)
        rings = [_ring(ring, f"{pointer}/{i}") for i, ring in enumerate(polygon)]
        vertices += sum(len(r) for r in rings)
        if vertices > MAX_VERTICES:
            raise TooManyVertices(
                f"the geometry has more than {MAX_VERTICES:,} vertices (the limit); simplify it first",
                pointer=pointer,
                limit=MAX_VERTICES,
            )
        yield rings


def location_of(reason: str) -> list[float] | None:
    """Return the [lon, lat] GEOS names in a validity reason such as 'Self-intersection[106.1 16.2]'."""
    match = _LOCATION.search(reason)
    return [float(match[1]), float(match[2])] if match else None


def _check_valid(geom: BaseGeometry) -> None:
    if geom.is_valid:
        return
    reason = explain_validity(geom)
    where = location_of(reason)
    at = f" at longitude {where[0]}, latitude {where[1]}" if where else ""
    error = SelfIntersection if "self-intersection" in reason.lower() else InvalidPolygon
    raise error(f"{reason.split('[')[0]}{at}", pointer=f"{GEOMETRY}/coordinates", location=where)


def _ring_area_km2(coords: Sequence[tuple[float, ...]]) -> float:
    # Trapezoids in (longitude, sin latitude): exact for the spherical cylindrical equal-area map.
    total = 0.0
    for (lon1, lat1, *_), (lon2, lat2, *_) in zip(coords, coords[1:], strict=False):
        total += math.radians(lon2 - lon1) * (math.sin(math.radians(lat1)) + math.sin(math.radians(lat2)))
    return abs(total) * EARTH_RADIUS_KM**2 / 2


def approx_area_km2(geom: BaseGeometry) -> float:
    """Return the area of a lon/lat (multi)polygon on the sphere, in km² (within ~0.5% of geodesic)."""
    polygons = list(getattr(geom, "geoms", [geom]))
    area = 0.0
    for polygon in polygons:
        if isinstance(polygon, Polygon) and not polygon.is_empty:
            area += _ring_area_km2(list(polygon.exterior.coords))
            area -= sum(_ring_area_km2(list(hole.coords)) for hole in polygon.interiors)
    return area


def _check_size(geom: BaseGeometry) -> float:
    area = approx_area_km2(geom)
    if geom.is_empty or area <= 0:
        raise EmptyGeometry("the geometry encloses no area", pointer=f"{GEOMETRY}/coordinates")
    if area > MAX_AREA_KM2:
        raise GeometryTooLarge(
            f"the zone covers about {area:,.0f} km², more than the limit of {MAX_AREA_KM2:,.0f} km²",
            pointer=GEOMETRY,
            area_km2=round(area),
            limit_km2=MAX_AREA_KM2,
        )
    return area


def _check_in_service_area(geom: BaseGeometry, area: float) -> None:
    area_of_service = service_area()
    if prepared.prep(area_of_service).contains(geom):
        return
    outside = geom.difference(area_of_service)
    outside_km2 = approx_area_km2(outside)
    if outside_km2 <= MAX_OUTSIDE_SHARE * area:
        return
    point = outside.representative_point()
    where = [round(point.x, 4), round(point.y, 4)]
    share = min(1.0, outside_km2 / area) if area > 0 else 1.0
    what = (
        "the whole zone lies"
        if share > 0.999
        else f"{share:.0%} of the zone (about {outside_km2:,.0f} km²) lies"
    )
    raise ZoneOutsideServiceArea(
        f"{what} outside Viet Nam's land, sea and archipelagos, e.g. at longitude {where[0]}, latitude {where[1]}",
        pointer=GEOMETRY,
        location=where,
        outside_share=round(share, 4),
    )


def check_zone_geometry(geometry: Any) -> MultiPolygon:
    """Return a GeoJSON Polygon/MultiPolygon as a valid MultiPolygon, or raise what is wrong and where."""
    polygons = [Polygon(rings[0], rings[1:]) for rings in _rings(_polygons(geometry))]
    geom = MultiPolygon(polygons)
    _check_valid(geom)
    area = _check_size(geom)
    _check_in_service_area(geom, area)
    return geom
