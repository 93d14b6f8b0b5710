"""Pure rules of the audit trail: what is never recorded, how actions are named, cursors and CSV."""

import base64
import binascii
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from domain import csvio
from domain.errors import InvalidQuery

# A column whose name holds one of these is left out of every snapshot: a key's hash is as good as
# the key against a stolen copy of the audit table (it is what authentication compares).
SECRET_MARKERS = ("hash", "secret", "password", "token")
CSV_COLUMNS = [
    "id", "at", "actor", "actor_organization", "actor_role", "actor_key_id", "action", "resource",
    "resource_id", "organization", "before", "after",
]  # fmt: skip
_CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}={0,2}$")


def is_secret_field(name: str) -> bool:
    """Return whether a column must never appear in the audit trail."""
    lowered = name.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def jsonable(value: Any) -> Any:
    """Return a value as JSON can hold it (times as ISO 8601, ids as text, enums as their value)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def snapshot(values: dict[str, Any]) -> dict[str, Any]:
    """Return the recordable values of a row: JSON-ready, secrets left out."""
    return {name: jsonable(v) for name, v in values.items() if not is_secret_field(name)}


def action_name(resource: str, op: str, changed: set[str], after: dict[str, Any] | None) -> str:
    """Return the action of a change: `<resource>.created|updated|deleted`, or a key's `rotated`/`revoked`."""
    if op == "update" and resource == "api_key" and after is not None:
        if "replaced_by" in changed and after.get("replaced_by"):
            return "api_key.rotated"
        if "revoked_at" in changed and after.get("revoked_at"):
            return "api_key.revoked"
    return f"{resource}.{ {'insert': 'created', 'update': 'updated', 'delete': 'deleted'}[op] }"


def check_window(since: datetime | None, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    """Return the time window with naive times read as UTC; raise InvalidQuery when it is empty."""
    since = since.replace(tzinfo=UTC) if since is not None and since.tzinfo is None else since
    until = until.replace(tzinfo=UTC) if until is not None and until.tzinfo is None else until
    if since is not None and until is not None and since > until:
        raise InvalidQuery("since must not be after until", parameter="since")
    return since, until


def encode_cursor(event_id: int) -> str:
    """Return the opaque cursor of the page after this event."""
    return base64.urlsafe_b64encode(f"a{event_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """Return the event id inside a cursor, or raise InvalidQuery."""
    try:
        if not _CURSOR_RE.match(cursor):
            raise ValueError(cursor)
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith("a") or not text[1:].isdigit() or len(text) > 20:
            raise ValueError(text)
        return int(text[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidQuery("cursor is not one this service gave out", parameter="cursor") from exc


def csv_lines(events: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Yield the CSV text of audit events (before/after as JSON in one cell each), a line at a time."""
    rows = (
        [
            json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v
            for v in (e.get(c) for c in CSV_COLUMNS)
        ]
        for e in events
    )
    return csvio.csv_lines(CSV_COLUMNS, rows)
