"""CSV uploads: delimiter, header (our columns or wis2box's station_list.csv) and rows, with line numbers.

Unknown columns block the import (an error at line 1 each): a misspelled column would otherwise be
dropped silently, and an import is all-or-nothing. Missing required columns give one error naming
them all, and rows are then not read (each would repeat the same complaint). Line numbers are the
physical lines a person sees in an editor (header = line 1); a quoted multi-line cell counts its lines.
Every cell loses the apostrophe our exports (and spreadsheets) put before a text starting like a
formula (domain/csvio.py), so a list exported by the registry imports as it was.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from domain.csvio import unescape_cell
from domain.imports.coordinates import AreaPredicate
from domain.imports.rows import (
    ALIASES,
    EXPORT_ONLY_COLUMNS,
    OUR_COLUMNS,
    PROJECTED_POSITION,
    REQUIRED,
    WIS2BOX_COLUMNS,
    WIS2BOX_IGNORED,
    WIS2BOX_REQUIRED,
    DuplicateTracker,
    Layout,
    convert_row,
)
from domain.imports.rules import ImportFileUnreadable, ParsedImport, RowError, StationRow

if TYPE_CHECKING:
    from _csv import Reader

_HEADER_SEPARATORS = re.compile(r"[\s\-]+")
_WIS2BOX_MARKERS = frozenset(WIS2BOX_COLUMNS) - {"elevation"}
_DELIMITERS = (",", ";", "\t")
_FIELD_OF = {column: column for column in OUR_COLUMNS} | ALIASES | WIS2BOX_COLUMNS
_WIS2BOX_NAMES = {f: c for c, f in WIS2BOX_COLUMNS.items()}


@dataclass(slots=True)
class _Table:
    layout: Layout
    delimiter: str
    width: int
    positions: dict[str, int] = field(default_factory=dict)
    unnamed: list[int] = field(default_factory=list)


def parse_csv(text: str, *, in_area: AreaPredicate) -> ParsedImport:
    """Return the stations of a CSV upload (our columns or wis2box's) and every error in it."""
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    delimiter = _delimiter(text)
    records = _records(csv.reader(io.StringIO(text), delimiter=delimiter))
    try:
        header_line, _, header = next(records)
    except StopIteration:
        raise ImportFileUnreadable(
            "the file is empty: expected a header line and one line per station"
        ) from None
    except csv.Error as exc:
        raise ImportFileUnreadable(f"the header line cannot be read as CSV: {exc}") from None
    table, errors = _read_header(header, header_line, delimiter)
    stations: list[StationRow] = []
    if not any(e.reason.startswith("missing required column") for e in errors):
        _read_rows(records, table, in_area, stations, errors)
    return ParsedImport(table.layout.source_format, stations, errors, dict(table.layout.labels))


def _delimiter(text: str) -> str:
    head = text.lstrip().partition("\n")[0]
    counts = {d: head.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(reader: "Reader") -> Iterator[tuple[int, int, list[str]]]:
    """Yield (first line, last line, cells) of each record that is not blank."""
    end = 0
    for cells in reader:
        start, end = end + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, end, cells


def _column_key(column: str) -> str:
    return _HEADER_SEPARATORS.sub("_", column.strip().strip("\ufeff").strip().lower())


def _read_header(header: list[str], line: int, delimiter: str) -> tuple[_Table, list[RowError]]:
    keys = [_column_key(column) for column in header]
    wis2box = bool(_WIS2BOX_MARKERS.intersection(keys))
    table = _Table(Layout("wis2box" if wis2box else "csv", {}), delimiter, len(header))
    labels: dict[str, str] = {}
    errors: list[RowError] = []
    # a station_types column is finer than wis2box's facility_type, which is then only read, not used
    ignored = WIS2BOX_IGNORED | ({"facility_type"} if "station_types" in keys else set())
    if {"id", "revision"} <= set(keys):  # the registry's own export: its derived columns are skipped
        ignored |= EXPORT_ONLY_COLUMNS
    for index, (column, key) in enumerate(zip(header, keys, strict=True)):
        name = _FIELD_OF.get(key)
        if not key:
            table.unnamed.append(index)
        elif key in ignored:
            continue
        elif name is None:
            errors.append(RowError(line, column.strip(), "", "unknown column"))
        elif name in table.positions:
            reason = f"column '{labels[name]}' already gives {name}; keep one of the two"
            errors.append(RowError(line, column.strip(), "", reason))
        else:
            table.positions[name], labels[name] = index, column.strip()
    facility = "facility_type" in keys and "facility_type" not in ignored
    table.layout = Layout(table.layout.source_format, labels, facility=facility)
    errors.extend(_missing(table, line, header))
    return table, errors


def _missing(table: _Table, line: int, header: list[str]) -> list[RowError]:
    wis2box = table.layout.source_format == "wis2box"
    required = WIS2BOX_REQUIRED if wis2box else REQUIRED
    missing = [name for name in required if name not in table.positions]
    if not wis2box and all(name in table.positions for name in PROJECTED_POSITION):
        missing = [name for name in missing if name not in ("latitude", "longitude")]
    if wis2box:
        missing = [_WIS2BOX_NAMES.get(name, name) for name in missing]
        if "national_code" not in table.positions and "wigos_ids" not in table.positions:
            missing.append("wigos_station_identifier")
    if not missing:
        return []
    plural = "s" if len(missing) > 1 else ""
    present = ", ".join(column.strip() for column in header if column.strip())
    reason = f"missing required column{plural}: {', '.join(missing)} (the header has: {present})"
    return [RowError(line, ", ".join(missing), "", reason)]


def _read_rows(
    records: Iterator[tuple[int, int, list[str]]],
    table: _Table,
    in_area: AreaPredicate,
    stations: list[StationRow],
    errors: list[RowError],
) -> None:
    tracker = DuplicateTracker(table.layout)
    positions = tuple(table.positions.items())
    last = 1
    try:
        for start, last, cells in records:
            shape = _shape_error(cells, start, last, table)
            if shape is not None:
                errors.append(shape)
                continue
            station, defaults, row_errors = convert_row(
                {name: unescape_cell(cells[i]) for name, i in positions}, start, table.layout, in_area
            )
            row_errors.extend(tracker.check(station, start))
            if row_errors:
                errors.extend(row_errors)
            else:
                stations.append(StationRow(start, station, defaults))
    except csv.Error as exc:
        errors.append(RowError(last + 1, "row", "", f"the file cannot be read as CSV from here on: {exc}"))


def _shape_error(cells: list[str], start: int, end: int, table: _Table) -> RowError | None:
    if len(cells) != table.width:
        if end > start:
            reason = f"a quoted value runs from line {start} to line {end}: is a closing quote missing?"
        else:
            reason = (
                f"the line has {len(cells)} cells but the header has {table.width} columns "
                f"(a '{table.delimiter}' inside a value must be quoted)"
            )
        return RowError(start, "row", table.delimiter.join(cells), reason)
    for index in table.unnamed:
        if cells[index].strip():
            return RowError(
                start, f"column {index + 1}", cells[index], "a value in a column without a header"
            )
    return None
