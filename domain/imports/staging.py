"""Clean rows to staging records: one flat tuple per station, and the fields that count as a change.

`given` is a bit set (GIVEN_BITS) of the fields a row sets on an existing station; the other staged values (wis2box's
network, automation and facility type, our model defaults) are used only when the row creates one.
A wis2box national code is derived (traditional identifier or the WSI's local id), so it finds or
names a new station but never renames an existing one. An empty owner cell keeps the owner.
"""

from collections.abc import Iterable, Sequence
from typing import Any

import orjson

from domain.imports.rules import RowError, StationRow
from domain.station.rules import fold

STAGE_FIELDS = (
    "line", "national_code", "name", "name_fold", "network", "legal_basis", "station_types", "automation",
    "status", "lon", "lat", "elevation_m", "wigos_ids", "owner", "operator", "data_policy", "river",
    "basin", "variables", "established_date", "programmes", "given",
)  # fmt: skip
GIVEN_BITS = {
    name: 1 << i
    for i, name in enumerate((
        "national_code", "name", "network", "legal_basis", "station_types", "automation", "status", "location",
        "elevation_m", "wigos_ids", "owner", "operator", "data_policy", "river", "basin", "variables",
        "established_date", "programmes",
    ))
}  # fmt: skip


def stage_record(row: StationRow, *, code_given: bool) -> tuple[Any, ...]:
    """Return the staging tuple of a clean row, in STAGE_FIELDS order."""
    station = row.station
    v = {**row.defaults, **station} if row.defaults else station
    given = 0
    for name, value in station.items():
        if not (name == "national_code" and not code_given) and not (name == "owner" and value is None):
            given |= GIVEN_BITS[name]
    # a WMDR capability without its facility updates a station and gives neither name nor position
    lon, lat = station["location"]["coordinates"][:2] if "location" in station else (None, None)
    label = station.get("name")
    variables = v.get("variables")
    return (
        row.line, v.get("national_code"), label, None if label is None else fold(label), v.get("network"),
        v.get("legal_basis"), v.get("station_types"), v.get("automation"), v.get("status"),
        None if lon is None else float(lon), None if lat is None else float(lat), v.get("elevation_m"), v.get("wigos_ids"), v.get("owner"), v.get("operator"),
        v.get("data_policy"), v.get("river"), v.get("basin"),
        None if variables is None else orjson.dumps(variables).decode(), v.get("established_date"),
        v.get("programmes"), given,
    )  # fmt: skip


def owner_errors(rows: Iterable[StationRow], *, editor_org: str, label: str) -> list[RowError]:
    """Return an error for each row of an editor's file that names another organization as owner."""
    return [
        RowError(
            row.line,
            label,
            str(row.station["owner"]),
            f"only an admin may set the owner to another organization: leave it empty or write {editor_org}",
        )
        for row in rows
        if row.station.get("owner") not in (None, editor_org)
    ]


def label_of(labels: dict[str, str], field: str) -> str:
    """Return the column (or property) a file names a field by, else the field's own name."""
    return labels.get(field, field)


def sorted_errors(errors: Sequence[RowError]) -> list[RowError]:
    """Return the errors by line, keeping the order found within a line."""
    return sorted(errors, key=lambda error: error.line)
