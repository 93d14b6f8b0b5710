"""Pure rules of review: the field-by-field diff, who may decide, and the states a request moves through."""

import base64
import binascii
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.access.models import Principal, Role
from domain.errors import AccessDenied, Conflict, InvalidQuery, RuleViolation

# The fields a reviewer reads, in the order of a station body (derived and server-set ones left out).
STATION_FIELDS = (
    "national_code", "name", "network", "legal_basis", "station_types", "automation", "status",
    "location", "elevation_m", "wigos_ids", "owner", "operator", "data_policy", "province", "river",
    "basin", "variables", "closed_date", "close_reason", "successor_id",
)  # fmt: skip
_CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


class ChangeRequestNotSubmitted(Conflict):
    code = "change-request-not-submitted"
    title = "The change request is no longer waiting for a decision"


class StaleChangeRequest(Conflict):
    code = "change-request-stale"
    title = "The station changed since the request was made; submit it again"


class OwnOrganizationReview(AccessDenied):
    code = "own-organization-review"
    title = "Nobody decides on a request of their own organization, except admins"


class CommentRequired(RuleViolation):
    code = "comment-required"
    title = "A rejection needs a comment"


def _comparable(field: str, value: Any) -> Any:
    if field == "location" and isinstance(value, Mapping):
        return {"type": value.get("type"), "coordinates": [float(c) for c in value.get("coordinates", [])]}
    return value


def field_diff(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return [{"field", "before", "after"}] for each station field `after` gives that differs from `before`."""
    old = before or {}
    diff = []
    for name in (*STATION_FIELDS, *sorted(set(after) - set(STATION_FIELDS))):
        if name not in after:
            continue
        was, now = _comparable(name, old.get(name)), _comparable(name, after[name])
        if was != now and not (before is None and now is None):
            diff.append({"field": name, "before": was, "after": now})
    return diff


def check_submitted(status: str, request_id: str) -> None:
    """Raise ChangeRequestNotSubmitted unless the request still waits for a decision."""
    if status != "submitted":
        raise ChangeRequestNotSubmitted(
            f"change request {request_id} is {status}; only a submitted request can be decided or withdrawn",
            status=status,
        )


def check_not_own(principal: Principal, organization: str) -> None:
    """Raise OwnOrganizationReview when a non-admin decides on a request of its own organization."""
    if principal.role is not Role.admin and principal.organization == organization:
        raise OwnOrganizationReview(
            f"a reviewer of {organization} cannot decide on {organization}'s requests"
        )


def check_comment(comment: str | None) -> str:
    """Return the rejection's comment, or raise CommentRequired when it is missing or blank."""
    if comment is None or not comment.strip():
        raise CommentRequired('say why the request is rejected: {"comment": "..."}', pointer="#/comment")
    return comment.strip()


def check_withdrawer(principal: Principal, organization: str) -> None:
    """Raise AccessDenied unless the principal is an editor of the submitting organization."""
    if principal.organization != organization or principal.role not in (Role.editor, Role.admin):
        raise AccessDenied(f"only an editor of {organization} may withdraw its request")


def encode_cursor(at: datetime, request_id: str) -> str:
    """Return an opaque cursor for the keyset position (submitted_at, id)."""
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{request_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Return the (submitted_at, id) of a cursor, or raise InvalidQuery."""
    try:
        if not _CURSOR_RE.match(cursor):
            raise ValueError(cursor)
        at, request_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), uuid.UUID(request_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidQuery("cursor is not one this service gave out", parameter="cursor") from exc
