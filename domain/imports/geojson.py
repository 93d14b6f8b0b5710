"""GeoJSON uploads: a FeatureCollection of Point features whose properties are the station fields.

An error's `line` is the feature's index in `features` (0-based, so `/features/<line>` points at it).
Properties take the API's names and types (lists for station_types, wigos_ids and variables; text
spellings as in CSV are accepted too). A third coordinate is ignored: GeoJSON heights are above the
ellipsoid, elevation_m is above sea level. Unknown properties block the import, reported once each.
"""

import json
import unicodedata
from collections.abc import Mapping
from typing import Any

from domain.imports.coordinates import AreaPredicate
from domain.imports.rows import OUR_COLUMNS, REQUIRED, DuplicateTracker, Layout, convert_row
from domain.imports.rules import ImportFileUnreadable, ParsedImport, RowError, StationRow
from domain.imports.values import CellError

_PROPERTIES = tuple(
    c for c in OUR_COLUMNS if c not in ("latitude", "longitude", "crs", "easting", "northing")
)
_KNOWN = frozenset(_PROPERTIES)
_LIST_FIELDS = frozenset({"station_types", "wigos_ids", "variables", "programmes"})
_LAYOUT = Layout(
    "geojson",
    {
        **{name: name for name in _PROPERTIES},
        "latitude": "geometry.coordinates[1]",
        "longitude": "geometry.coordinates[0]",
    },
)


def parse_geojson(obj: Any, *, in_area: AreaPredicate) -> ParsedImport:
    """Return the stations of a parsed GeoJSON upload and every error, `line` being the feature index."""
    stations: list[StationRow] = []
    errors: list[RowError] = []
    tracker = DuplicateTracker(_LAYOUT)
    unknown: set[str] = set()
    for index, feature in enumerate(_features(obj)):
        cells, feature_errors = _feature_cells(feature, index, unknown)
        if cells is None:
            errors.extend(feature_errors)
            continue
        station, defaults, row_errors = convert_row(cells, index, _LAYOUT, in_area)
        row_errors = feature_errors + row_errors + tracker.check(station, index)
        if row_errors:
            errors.extend(row_errors)
        else:
            stations.append(StationRow(index, station, defaults))
    return ParsedImport("geojson", stations, errors, dict(_LAYOUT.labels))


def _features(obj: Any) -> list[Any]:
    if (
        isinstance(obj, Mapping)
        and obj.get("type") == "FeatureCollection"
        and isinstance(obj.get("features"), list)
    ):
        return list(obj["features"])
    if isinstance(obj, Mapping) and obj.get("type") == "Feature":
        return [obj]
    raise ImportFileUnreadable(
        "expected a GeoJSON FeatureCollection of Point features whose properties are station fields"
    )


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _feature_cells(
    feature: Any, index: int, unknown: set[str]
) -> tuple[dict[str, str] | None, list[RowError]]:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        kind = feature.get("type") if isinstance(feature, Mapping) else feature
        return None, [RowError(index, "type", _show(kind), "not a GeoJSON Feature")]
    properties = feature.get("properties") or {}
    if not isinstance(properties, Mapping):
        return None, [RowError(index, "properties", _show(properties), "properties must be a JSON object")]
    cells: dict[str, str] = {}
    errors: list[RowError] = []
    for name, value in properties.items():
        if name not in _KNOWN:
            if name not in unknown:
                unknown.add(name)
                errors.append(RowError(index, str(name), _show(value), "unknown property"))
            continue
        try:
            cells[name] = _as_cell(name, value)
        except CellError as exc:
            errors.append(RowError(index, name, _show(value), str(exc)))
    for name in REQUIRED:
        if name in _KNOWN and name not in properties:
            cells[name] = ""  # reported as required by convert_row
    errors.extend(_point_cells(feature.get("geometry"), index, cells))
    return cells, errors


def _as_cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    listed = name in _LIST_FIELDS
    if listed and isinstance(value, list):
        return ";".join(_list_item(name, item) for item in value)
    if not listed and isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    raise CellError(f"expected {'a list' if listed else 'text or a number'}")


def _list_item(name: str, item: Any) -> str:
    if isinstance(item, str):
        return unicodedata.normalize("NFC", item)
    if name == "variables" and isinstance(item, Mapping) and isinstance(item.get("name"), str):
        interval = item.get("interval_min")
        if interval is None:
            return str(item["name"])
        if isinstance(interval, int) and not isinstance(interval, bool):
            return f"{item['name']}:{interval}"
    expected = '{"name": ..., "interval_min": ...}' if name == "variables" else "text"
    raise CellError(f"each item must be {expected}")


def _point_cells(geometry: Any, index: int, cells: dict[str, str]) -> list[RowError]:
    if not isinstance(geometry, Mapping) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, Mapping) else geometry
        return [
            RowError(index, "geometry", _show(kind), "expected a Point geometry with [longitude, latitude]")
        ]
    coordinates = geometry.get("coordinates")
    if (
        not isinstance(coordinates, list)
        or len(coordinates) not in (2, 3)
        or not all(isinstance(c, int | float | str) and not isinstance(c, bool) for c in coordinates)
    ):
        return [RowError(index, "geometry.coordinates", _show(coordinates), "expected [longitude, latitude]")]
    cells["longitude"], cells["latitude"] = (c if isinstance(c, str) else repr(c) for c in coordinates[:2])
    return []
