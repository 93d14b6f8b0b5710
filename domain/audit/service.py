"""Use cases of the audit trail: name the actor, read the trail (admins only)."""

from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.access.rules import require_role
from domain.audit import queries
from domain.audit.capture import RESOURCES, reset_actor, set_actor
from domain.audit.models import AuditEventPublic, AuditFilter
from domain.audit.rules import check_window, decode_cursor, encode_cursor
from domain.errors import InvalidQuery

__all__ = ["RESOURCES", "list_audit_events", "reset_actor", "set_actor"]


def list_audit_events(
    session: Session, *, principal: Principal, filters: AuditFilter, cursor: str | None, limit: int
) -> tuple[list[AuditEventPublic], str | None]:
    """Return a page of audit events, newest first, and the next cursor (admins only)."""
    require_role(principal, Role.admin)
    unknown = sorted(set(filters.resource) - set(RESOURCES))
    if unknown:
        raise InvalidQuery(
            f"unknown resource(s): {', '.join(unknown)}", parameter="resource", allowed=RESOURCES
        )
    since, until = check_window(filters.since, filters.until)
    filters = filters.model_copy(update={"since": since, "until": until})
    before_id = decode_cursor(cursor) if cursor else None
    rows = queries.select_events(
        session, queries.select_event_page(filters, before_id=before_id, limit=limit)
    )
    more = len(rows) > limit
    items = [AuditEventPublic.model_validate(r, from_attributes=True) for r in rows[:limit]]
    return items, encode_cursor(items[-1].id) if more and items else None
