"""Pure audit rules: secrets never recorded, action names, JSON-ready values, cursors, CSV."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from enum import Enum

import pytest

from domain.audit.rules import (
    action_name,
    check_window,
    csv_lines,
    decode_cursor,
    encode_cursor,
    is_secret_field,
    snapshot,
)
from domain.errors import InvalidQuery


class Colour(Enum):
    red = "red"


def test_a_snapshot_leaves_out_every_secret_looking_column_and_is_json_ready() -> None:
    key_id = uuid.uuid4()
    at = datetime(2026, 12, 5, tzinfo=UTC)
    row = {"id": key_id, "key_hash": "abc", "client_secret": "s", "Password": "p", "token_x": "t",
           "at": at, "colour": Colour.red, "tags": ("a", "b"), "nan": float("nan")}  # fmt: skip
    assert snapshot(row) == {
        "id": str(key_id), "at": at.isoformat(), "colour": "red", "tags": ["a", "b"], "nan": "nan"}  # fmt: skip
    assert is_secret_field("key_hash") and not is_secret_field("prefix")


@pytest.mark.parametrize(
    ("resource", "op", "changed", "after", "expected"),
    [
        ("api_key", "update", {"replaced_by", "expires_at"}, {"replaced_by": "x"}, "api_key.rotated"),
        ("api_key", "update", {"revoked_at"}, {"revoked_at": "2026-12-05"}, "api_key.revoked"),
        ("api_key", "update", {"label"}, {"label": "x"}, "api_key.updated"),
        ("zone", "insert", set(), {"code": "z"}, "zone.created"),
        ("organization", "delete", set(), None, "organization.deleted"),
    ],
)
def test_actions_are_named_after_what_changed(
    resource: str, op: str, changed: set[str], after: dict[str, str] | None, expected: str
) -> None:
    assert action_name(resource, op, changed, after) == expected


def test_cursors_round_trip_and_foreign_ones_are_refused() -> None:
    assert decode_cursor(encode_cursor(12345)) == 12345
    for bad in ("", "!!", encode_cursor(1)[:-2] + "zz", "YTE5OTk5OTk5OTk5OTk5OTk5OTk5OQ=="):
        with pytest.raises(InvalidQuery):
            decode_cursor(bad)


def test_a_naive_window_is_utc_and_an_empty_one_is_refused() -> None:
    since, _ = check_window(datetime(2026, 1, 1), None)
    assert since is not None and since.tzinfo is UTC
    now = datetime.now(UTC)
    with pytest.raises(InvalidQuery):
        check_window(now, now - timedelta(seconds=1))


def test_csv_puts_before_and_after_as_json_in_one_cell_each() -> None:
    text = "".join(
        csv_lines([{"id": 1, "action": "zone.updated", "before": {"name": "a, b"}, "after": None}])
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert (
        rows[0]["before"] == '{"name": "a, b"}'
        and rows[0]["after"] == ""
        and rows[0]["action"] == "zone.updated"
    )
    assert "".join(csv_lines([])).startswith("id,at,actor")


def test_audit_csv_cells_that_start_like_a_formula_are_escaped_for_spreadsheets() -> None:
    event = {"id": 1, "actor": '=HYPERLINK("http://127.0.0.1/x","x")', "after": {"name": "=1+1"}}
    rows = list(csv.DictReader(io.StringIO("".join(csv_lines([event])))))
    assert rows[0]["actor"].startswith("'=HYPERLINK(")
    assert rows[0]["after"] == '{"name": "=1+1"}' and rows[0]["id"] == "1"
