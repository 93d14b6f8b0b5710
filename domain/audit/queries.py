"""Audit SQL: append events, read a filtered keyset page."""

from typing import Any

from sqlalchemy import Select, cast, insert, or_, select
from sqlalchemy import String as SqlString
from sqlalchemy.orm import Session
from sqlmodel import col

from domain.audit.models import AuditEvent, AuditFilter

TABLE = AuditEvent.__table__  # type: ignore[attr-defined]


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append audit rows on the session's connection (inside the writing transaction)."""
    session.connection().execute(insert(TABLE), rows)


def select_event_page(filters: AuditFilter, *, before_id: int | None, limit: int) -> Select[Any]:
    """Return the statement of a page of events, newest first, after the keyset position `before_id`."""
    stmt = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit + 1)
    if before_id is not None:
        stmt = stmt.where(col(AuditEvent.id) < before_id)
    if filters.action:
        stmt = stmt.where(col(AuditEvent.action).in_(filters.action))
    if filters.resource:
        stmt = stmt.where(col(AuditEvent.resource).in_(filters.resource))
    if filters.actor:
        stmt = stmt.where(
            or_(
                col(AuditEvent.actor) == filters.actor,
                col(AuditEvent.actor_organization) == filters.actor,
                cast(col(AuditEvent.actor_key_id), SqlString) == filters.actor,
            )
        )
    if filters.organization:
        stmt = stmt.where(col(AuditEvent.organization) == filters.organization)
    if filters.since is not None:
        stmt = stmt.where(col(AuditEvent.at) >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(col(AuditEvent.at) < filters.until)
    return stmt


def select_events(session: Session, stmt: Select[Any]) -> list[AuditEvent]:
    """Return the events a page statement selects."""
    return list(session.scalars(stmt))
