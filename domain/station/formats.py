"""Output formats of station lists: CSV columns matching the import format, and page envelopes."""

import json
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from domain import csvio

CSV_COLUMNS = [
    "id", "national_code", "name", "network", "station_types", "automation", "status", "latitude",
    "longitude", "elevation_m", "wigos_ids", "owner", "operator", "data_policy", "legal_basis", "province",
    "zones", "river", "basin", "variables", "established_date", "programmes", "wmo_region", "territory",
    "closed_date", "updated_at", "revision",
]  # fmt: skip


def csv_row(station: dict[str, Any]) -> list[Any]:
    """Return one CSV row for a station in the API's JSON shape."""
    lon, lat = station["location"]["coordinates"][:2]
    flat = dict(station, latitude=lat, longitude=lon)
    flat["variables"] = [
        f"{v['name']}:{v['interval_min']}" if v.get("interval_min") else v["name"]
        for v in station.get("variables") or []
    ]
    return [flat.get(c) for c in CSV_COLUMNS]


def csv_lines(stations_json: Iterable[str | bytes], *, header: bool = True) -> Iterator[str]:
    """Yield CSV text, a line at a time, for stations given as JSON (cells made safe: domain/csvio.py)."""
    rows = (csv_row(json.loads(text)) for text in stations_json)
    return csvio.csv_lines(CSV_COLUMNS, rows, header=header)


def utf8(items: list[str]) -> list[bytes]:
    """Return JSON texts as UTF-8 bytes, for the page envelopes below."""
    return [item.encode() for item in items]


def json_page(items: list[bytes], next_url: str | None) -> bytes:
    """Return the JSON list envelope {"items": [...], "next": ...} around pre-serialized items."""
    return b'{"items":[' + b",".join(items) + b'],"next":' + orjson.dumps(next_url) + b"}"


def geojson_page(items: list[bytes], next_url: str | None, number_matched: int | None = None) -> bytes:
    """Return a GeoJSON FeatureCollection around pre-serialized features, with a next link."""
    links = [{"rel": "next", "href": next_url, "type": "application/geo+json"}] if next_url else []
    tail = {"numberReturned": len(items)} | (
        {} if number_matched is None else {"numberMatched": number_matched}
    )
    head = b'{"type":"FeatureCollection","features":['
    return head + b",".join(items) + b"]," + orjson.dumps(tail | {"links": links})[1:]
