"""The one CSV writer: cells safe for spreadsheets, escaping undone by imports, numbers kept as numbers."""

import pytest

from domain.csvio import FORMULA_STARTS, csv_lines, safe_cell, unescape_cell


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@x", "\t=1", "\r=1", "'", "'=1", "''", "plain", "", "a=1", "-"]
)
def test_safe_cell_and_unescape_cell_round_trip_every_text(text: str) -> None:
    cell = safe_cell(text)
    assert isinstance(cell, str) and cell[:1] not in FORMULA_STARTS
    assert unescape_cell(cell) == text


def test_numbers_are_written_as_numbers_and_text_that_looks_like_one_is_escaped() -> None:
    (header, line) = "".join(csv_lines(["a", "b", "c", "d"], [[-5.0, -3, "-5.0", None]])).splitlines()
    assert line == "-5.0,-3,'-5.0,"
