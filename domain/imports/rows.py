"""Rows to candidate stations: the accepted columns (ours and wis2box's), per-row checks, duplicates.

Our columns are the station fields of the API (DESIGN.md section 3) with the location split into
latitude and longitude. The wis2box station_list.csv columns map as follows:

  station_name                    -> name
  wigos_station_identifier        -> wigos_ids (one identifier)
  traditional_station_identifier  -> national_code; when empty, the WSI's local id (0-20000-0-48820 -> 48820)
  facility_type                   -> station_types, on creation only: landFixed -> synoptic, sea*/underwater*
                                     -> marine, lakeRiver* -> hydrological, air* -> upper_air, landMobile and
                                     landOnIce -> other (a station_types column, if present, wins)
  elevation                       -> elevation_m
  barometer_height, territory_name, wmo_region -> read and ignored (no such field in the registry)

A wis2box row has no network or automation: unless the file adds those columns, a new station gets
network=national and automation=automatic, and an existing one keeps its values. Values used only on
creation never count as a change (see StationRow.defaults).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.crs.rules import CRS84, SUPPORTED, parse_crs, to_crs84
from domain.errors import InvalidQuery
from domain.imports import values
from domain.imports.coordinates import AreaPredicate, CoordinateError, parse_coordinate, point_problems
from domain.imports.rules import RowError

OUR_COLUMNS = (
    "national_code", "name", "network", "station_types", "automation", "status", "latitude", "longitude",
    "elevation_m", "wigos_ids", "owner", "operator", "data_policy", "legal_basis", "river", "basin",
    "variables", "established_date", "programmes", "crs", "easting", "northing",
)  # fmt: skip
REQUIRED = ("national_code", "name", "network", "station_types", "automation", "latitude", "longitude")
# With a crs column, a projected CRS's rows give easting and northing instead of latitude and longitude.
PROJECTED_POSITION = ("crs", "easting", "northing")
ALIASES = {"lat": "latitude", "lon": "longitude", "lng": "longitude", "long": "longitude"}
WIS2BOX_COLUMNS = {
    "station_name": "name",
    "wigos_station_identifier": "wigos_ids",
    "traditional_station_identifier": "national_code",
    "facility_type": "station_types",
    "elevation": "elevation_m",
}
# Columns of the registry's own CSV export (recognized by its id and revision columns) that an import
# reads and ignores, being derived or kept by the registry, so an exported list imports as it is. In
# any other file they are unknown columns (a typed-in province would otherwise be dropped silently).
EXPORT_ONLY_COLUMNS = frozenset(
    {"id", "province", "zones", "closed_date", "updated_at", "revision", "wmo_region", "territory"}
)
WIS2BOX_IGNORED = frozenset({"barometer_height", "territory_name", "wmo_region"})
WIS2BOX_REQUIRED = ("name", "station_types", "latitude", "longitude")
WIS2BOX_DEFAULTS = {"network": "national", "automation": "automatic"}
# Fields a new station gets from the model when the cell is empty (status operational, data_policy core).
_OMIT_WHEN_EMPTY = frozenset({"status", "data_policy"})

CONVERTERS: dict[str, Callable[[str], Any]] = {
    "national_code": values.national_code,
    "name": values.name,
    "network": values.network,
    "station_types": values.station_types,
    "automation": values.automation,
    "status": values.status,
    "elevation_m": values.elevation,
    "wigos_ids": values.wigos_ids,
    "owner": values.organization,
    "operator": values.organization,
    "data_policy": values.data_policy,
    "legal_basis": values.legal_basis,
    "river": values.river_or_basin,
    "basin": values.river_or_basin,
    "variables": values.variables,
    "established_date": values.established_date,
    "programmes": values.programmes,
}


@dataclass(frozen=True, slots=True)
class Layout:
    """How a file gives the station fields: which field each column is, and how columns are named."""

    source_format: str
    labels: Mapping[str, str]  # field -> the column (or property) as the file names it
    facility: bool = False  # station_types comes from wis2box's facility_type (creation only)
    plan: tuple[tuple[str, Callable[[str], Any]], ...] = field(init=False)

    def __post_init__(self) -> None:
        converters = {**CONVERTERS, "station_types": _facility_types} if self.facility else CONVERTERS
        plan = tuple((name, converters[name]) for name in self.labels if name in converters)
        object.__setattr__(self, "plan", plan)  # built once per file, not per row


def unit_of(source_format: str) -> str:
    """Return what a `line` counts in this format ('line', 'feature' or 'facility')."""
    return {"geojson": "feature", "wmdr": "facility"}.get(source_format, "line")


def convert_row(
    cells: Mapping[str, str], line: int, layout: Layout, in_area: AreaPredicate
) -> tuple[dict[str, Any], dict[str, Any], list[RowError]]:
    """Return (station fields, creation-only defaults, errors) of one row given as field -> cell text."""
    station: dict[str, Any] = {}
    errors: list[RowError] = []
    wis2box = layout.source_format == "wis2box"
    for name, convert in layout.plan:
        text = cells.get(name)
        if text is None or (wis2box and name == "national_code" and not text.strip()):
            continue
        try:
            value = convert(text)
        except values.CellError as exc:
            errors.append(RowError(line, layout.labels[name], text, str(exc)))
            continue
        if value is not None or name not in _OMIT_WHEN_EMPTY:
            station[name] = value
    _locate(station, cells, line, layout, in_area, errors)
    defaults = _wis2box_defaults(station, cells, line, layout, errors) if wis2box else {}
    return station, defaults, errors


def _facility_types(text: str) -> list[str]:
    if not text.strip():
        raise values.CellError("required: no value given")
    return [values.facility_type(text)]


def _locate(
    station: dict[str, Any],
    cells: Mapping[str, str],
    line: int,
    layout: Layout,
    in_area: AreaPredicate,
    errors: list[RowError],
) -> None:
    crs_text = cells.get("crs", "").strip()
    if not crs_text and "latitude" not in cells and "longitude" not in cells:
        return  # a GeoJSON feature without a usable Point, reported already
    position = _position(cells, line, layout, errors, crs_text)
    if position is None:
        return
    lon, lat = position
    problems = point_problems(lat, lon, in_area)
    errors.extend(RowError(line, layout.labels[axis], cells[axis], reason) for axis, reason in problems)
    if not problems:
        station["location"] = {"type": "Point", "coordinates": [lon, lat]}


def _position(
    cells: Mapping[str, str], line: int, layout: Layout, errors: list[RowError], crs_text: str
) -> tuple[float, float] | None:
    """Return the row's (lon, lat) in CRS84, read in its crs (VN-2000 included) when it names one."""
    try:
        crs = parse_crs(crs_text, "crs") if crs_text else SUPPORTED[CRS84]
    except InvalidQuery as exc:
        errors.append(RowError(line, layout.labels.get("crs", "crs"), crs_text, exc.detail))
        return None
    axes = ("latitude", "longitude") if crs.geographic else ("easting", "northing")
    found: dict[str, float] = {}
    for axis in axes:
        label, text = layout.labels.get(axis, axis), cells.get(axis, "")
        try:
            found[axis] = parse_coordinate(text, axis) if axis in ("latitude", "longitude") else float(text)  # type: ignore[arg-type]
        except (CoordinateError, ValueError) as exc:
            reason = (
                str(exc)
                if isinstance(exc, CoordinateError)
                else f"required with crs {crs_text}: a number in metres"
            )
            errors.append(RowError(line, label, text, reason))
    if len(found) < 2:
        return None
    if crs.uri == CRS84:
        return found["longitude"], found["latitude"]
    x, y = (
        (found["easting"], found["northing"])
        if "easting" in found
        else (found["longitude"], found["latitude"])
    )
    given = [y, x] if crs.lat_first else [x, y]
    try:
        lon, lat = to_crs84({"type": "Point", "coordinates": given}, crs)["coordinates"]
    except InvalidQuery as exc:
        errors.append(RowError(line, layout.labels.get("crs", "crs"), crs_text, exc.detail))
        return None
    return float(lon), float(lat)


def _wis2box_defaults(
    station: dict[str, Any], cells: Mapping[str, str], line: int, layout: Layout, errors: list[RowError]
) -> dict[str, Any]:
    if not cells.get("national_code", "").strip():
        wsis = station.get("wigos_ids")
        if wsis:
            station["national_code"] = wsis[0].split("-", 3)[3]
        elif not cells.get("wigos_ids", "").strip():
            label = layout.labels.get("national_code", layout.labels.get("wigos_ids", "national_code"))
            errors.append(
                RowError(line, label, "", "required: give a traditional_station_identifier or a WSI")
            )
    defaults = {k: v for k, v in WIS2BOX_DEFAULTS.items() if k not in station}
    if layout.facility and "station_types" in station:
        defaults["station_types"] = station.pop("station_types")
    return defaults


class DuplicateTracker:
    """Remember the first line of each national code and WIGOS identifier; report later repeats."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.unit = unit_of(layout.source_format)
        self.codes: dict[str, int] = {}
        self.wsis: dict[str, int] = {}

    def check(self, station: Mapping[str, Any], line: int) -> list[RowError]:
        """Return an error for each code or identifier of the row already used on an earlier line."""
        errors: list[RowError] = []
        code = station.get("national_code")
        if code is not None:
            first = self.codes.setdefault(code.casefold(), line)
            if first != line:
                label = self.layout.labels.get("national_code", "national_code")
                errors.append(
                    RowError(
                        line, label, code, f"national_code {code} is already used on {self.unit} {first}"
                    )
                )
        for wsi in station.get("wigos_ids") or ():
            first = self.wsis.setdefault(wsi, line)
            if first != line:
                label = self.layout.labels.get("wigos_ids", "wigos_ids")
                errors.append(
                    RowError(
                        line, label, wsi, f"WIGOS identifier {wsi} is already used on {self.unit} {first}"
                    )
                )
        return errors
