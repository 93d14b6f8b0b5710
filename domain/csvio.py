"""The one CSV writer of every export, with cells made safe for spreadsheets, and its inverse for imports.

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` as a formula (OWASP "CSV
Injection"), and a leading tab or carriage return can hide such a start. Text cells starting with one of
these characters get a leading apostrophe, which spreadsheets show as "this is text" and do not display;
a text cell that itself starts with an apostrophe gets one more, so `unescape_cell` can always undo the
escaping. Numbers (Python int and float) are written as numbers and never escaped: a negative
longitude or elevation such as -5.0 stays a number the spreadsheet can sum, and cannot be a formula.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

FORMULA_STARTS = frozenset("=+-@\t\r")
ESCAPE = "'"
_ESCAPED_STARTS = FORMULA_STARTS | {ESCAPE}


def safe_cell(value: Any) -> str | int | float:
    """Return a value as a CSV cell: numbers as they are, text with a leading apostrophe when needed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return ESCAPE + text if text[:1] in _ESCAPED_STARTS else text


def unescape_cell(cell: str) -> str:
    """Return an imported cell without the apostrophe `safe_cell` (or a spreadsheet) put before it."""
    if cell[:1] == ESCAPE and cell[1:2] in _ESCAPED_STARTS:
        return cell[1:]
    return cell


def csv_lines(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, header: bool = True) -> Iterator[str]:
    """Yield CSV text (RFC 4180, CRLF), a line at a time, every cell passed through `safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
