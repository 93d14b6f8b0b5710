"""Shared spatial SQL pieces: geography casts, bbox envelopes, GeoJSON conversion."""

import json
from typing import Any

from geoalchemy2 import Geography
from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping, shape
from sqlalchemy import ColumnElement, cast, func

WGS84 = 4326


def as_geography(column: Any) -> ColumnElement[Any]:
    """Return the column cast to geography, so distances and areas are in metres."""
    return cast(column, Geography(srid=WGS84))


def envelope(bbox: tuple[float, float, float, float]) -> ColumnElement[Any]:
    """Return an SQL envelope for a minLon,minLat,maxLon,maxLat box."""
    return func.ST_MakeEnvelope(*bbox, WGS84)


def point(lon: float, lat: float) -> ColumnElement[Any]:
    """Return an SQL WGS84 point."""
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), WGS84)


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
