"""Pure parsing of station list filters and cursors (query strings in, typed values out)."""

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import cache

from domain.cql.rules import Filter, Queryable, parse_filter
from domain.crs.rules import CRS84, parse_crs, to_crs84
from domain.errors import InvalidQuery
from domain.station.enums import Automation, DataPolicy, Network, StationStatus, StationType

MAX_RADIUS_KM = 2000.0


@dataclass(frozen=True)
class StationFilter:
    """The filters of GET /stations, already validated."""

    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    zone: str | None = None
    zone_category: str | None = None
    network: list[str] = field(default_factory=list)
    station_type: list[str] = field(default_factory=list)
    automation: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    data_policy: list[str] = field(default_factory=list)
    owner: list[str] = field(default_factory=list)
    province: list[str] = field(default_factory=list)
    wigos_id: str | None = None
    q: str | None = None
    updated_since: datetime | None = None
    completeness_below: int | None = None
    cql: Filter | None = None


def _codes(enum: type[Enum]) -> tuple[str, ...]:
    return tuple(str(e.value) for e in enum)


# What a CQL2 filter may name (OGC API - Features Part 3 queryables), the same on every station list.
STATION_QUERYABLES: dict[str, Queryable] = {
    "national_code": Queryable("string", "National station code"),
    "name": Queryable(
        "string", "Station name (Vietnamese, with diacritics; use accenti/casei to ignore them)"
    ),
    "network": Queryable("string", "national or specialized", _codes(Network)),
    "station_types": Queryable("array", "Station types (use A_OVERLAPS / A_CONTAINS)"),
    "automation": Queryable("string", "Automation level", _codes(Automation)),
    "status": Queryable("string", "Operating status", _codes(StationStatus)),
    "data_policy": Queryable("string", "WMO data policy", _codes(DataPolicy)),
    "elevation_m": Queryable("number", "Elevation in metres"),
    "owner": Queryable("string", "Owner organization code"),
    "operator": Queryable("string", "Operator organization code"),
    "province": Queryable("string", "Province code (derived from the position)"),
    "river": Queryable("string", "River (hydrological stations)"),
    "basin": Queryable("string", "River basin"),
    "created_at": Queryable("datetime", "When the station was registered"),
    "updated_at": Queryable("datetime", "When the station last changed"),
    "geometry": Queryable("geometry", "Position (a point; WGS84 unless filter-crs says otherwise)"),
}


def parse_station_cql(text: str | None, *, lang: str | None, crs: str | None) -> Filter | None:
    """Return a checked CQL2 filter on stations (filter, filter-lang, filter-crs), or raise InvalidQuery."""
    if text is None:
        if lang is not None or crs is not None:
            raise InvalidQuery("filter-lang and filter-crs need a filter", parameter="filter")
        return None
    source = parse_crs(crs, "filter-crs") if crs else None
    convert = (lambda g: to_crs84(g, source)) if source and source.uri != CRS84 else None
    return parse_filter(text, lang=lang, queryables=STATION_QUERYABLES, to_wgs84=convert)


def parse_bbox(text: str, name: str = "bbox") -> tuple[float, float, float, float]:
    """Return (minLon, minLat, maxLon, maxLat) from 'minLon,minLat,maxLon,maxLat' or raise InvalidQuery."""
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4:
        raise InvalidQuery(
            f"{name} must be minLon,minLat,maxLon,maxLat (4 numbers), got '{text}'", parameter=name
        )
    min_lon, min_lat, max_lon, max_lat = values
    if not (
        -180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90
    ):
        raise InvalidQuery(f"{name} '{text}' has a coordinate out of range", parameter=name)
    if min_lon > max_lon or min_lat > max_lat:
        raise InvalidQuery(f"{name} '{text}': the minimum must not exceed the maximum", parameter=name)
    return min_lon, min_lat, max_lon, max_lat


def parse_near(text: str, radius_km: float | None) -> tuple[tuple[float, float], float]:
    """Return ((lon, lat), radius_km) for near=lon,lat&radius_km= or raise InvalidQuery."""
    try:
        lon, lat = (float(p) for p in text.split(","))
    except ValueError as exc:
        raise InvalidQuery(f"near must be lon,lat, got '{text}'", parameter="near") from exc
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidQuery(f"near '{text}' is out of range", parameter="near")
    if radius_km is None:
        raise InvalidQuery("near needs radius_km", parameter="radius_km")
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise InvalidQuery(f"radius_km must be in (0, {MAX_RADIUS_KM}]", parameter="radius_km")
    return (lon, lat), radius_km


@cache
def _values_of(allowed: type[Enum]) -> frozenset[str]:
    return frozenset(str(e.value) for e in allowed)


def parse_enum_list(
    values: list[str],
    allowed: type[Network | StationType | Automation | StationStatus | DataPolicy],
    name: str,
) -> list[str]:
    """Return the comma-separated values checked against an enum, or raise InvalidQuery naming them."""
    out: list[str] = []
    ok = _values_of(allowed)
    for raw in values:
        for value in (v.strip() for v in raw.split(",")):
            if value not in ok:
                raise InvalidQuery(
                    f"{name}='{value}' is not one of: {', '.join(sorted(ok))}",
                    parameter=name,
                    allowed=sorted(ok),
                )
            out.append(value)
    return out


def split_list(values: list[str]) -> list[str]:
    """Return comma-separated values flattened."""
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


_CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


def encode_cursor(key: str) -> str:
    """Return an opaque cursor for a keyset position."""
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_cursor(cursor: str) -> str:
    """Return the keyset position inside a cursor or raise InvalidQuery."""
    try:
        if not _CURSOR_RE.match(cursor):
            raise ValueError(cursor)
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidQuery("cursor is not one this service gave out", parameter="cursor") from exc
