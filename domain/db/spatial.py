"""Shared spatial SQL pieces: geography casts, bbox envelopes, GeoJSON conversion."""

import json
import math
from typing import Any

from geoalchemy2 import Geography
from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping, shape
from sqlalchemy import ColumnElement, and_, cast, func

WGS84 = 4326


def as_geography(column: Any) -> ColumnElement[Any]:
    """Return the column cast to geography, so distances and areas are in metres."""
    return cast(column, Geography(srid=WGS84))


def envelope(bbox: tuple[Any, Any, Any, Any]) -> ColumnElement[Any]:
    """Return an SQL envelope for a minLon,minLat,maxLon,maxLat box."""
    return func.ST_MakeEnvelope(*bbox, WGS84)


def point(lon: Any, lat: Any) -> ColumnElement[Any]:
    """Return an SQL WGS84 point."""
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), WGS84)


def degree_box(lon: float, lat: float, metres: float) -> tuple[float, float, float, float] | None:
    """Return a lon/lat box holding every point within `metres` of (lon, lat), or None if none is simple.

    None when the circle reaches a pole or crosses the antimeridian. A degree of latitude is at least
    110 574 m, so dividing by 110 000 over-covers; longitude is widened at the circle's poleward edge.
    """
    dy = metres / 110_000.0
    poleward = abs(lat) + dy
    if poleward >= 90:
        return None
    dx = dy / math.cos(math.radians(poleward))
    if lon - dx < -180 or lon + dx > 180:
        return None
    return lon - dx, max(lat - dy, -90.0), lon + dx, min(lat + dy, 90.0)


def within_distance(column: Any, lon: Any, lat: Any, metres: Any, box: Any = None) -> ColumnElement[bool]:
    """Return `column` within `metres` of (lon, lat) on the spheroid (values or SQL expressions).

    With `box` (a lon/lat box holding the circle: degree_box) the GiST index answers first.
    """
    exact: ColumnElement[bool] = func.ST_DWithin(as_geography(column), as_geography(point(lon, lat)), metres)
    return exact if box is None else and_(column.op("&&")(envelope(box)), exact)


def from_geojson(geometry: dict[str, Any]) -> WKTElement:
    """Return a geometry element from a GeoJSON geometry mapping."""
    return WKTElement(shape(geometry).wkt, srid=WGS84)


def to_geojson(value: Any) -> dict[str, Any] | None:
    """Return a GeoJSON mapping for a database geometry, a GeoJSON string or a mapping."""
    if value is None:
        return None
    if isinstance(value, WKBElement | WKTElement):
        return dict(mapping(to_shape(value)))
    if isinstance(value, str):
        return dict(json.loads(value))
    return dict(value)
