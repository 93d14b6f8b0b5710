"""Maintenance use cases: norms (admins), records (the station owner's editors), the due schedule."""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain import csvio
from domain.access.models import Principal, Role
from domain.access.rules import require_role
from domain.equipment.rules import (
    DateOutOfRange,
    check_not_before,
    check_not_future,
    decode_cursor,
    encode_cursor,
    today,
)
from domain.equipment.service import check_kind, locate_equipment
from domain.errors import Conflict, InvalidQuery, NotFound, RuleViolation, check_revision
from domain.maintenance import queries
from domain.maintenance.models import (
    DueFilter,
    MaintenanceNorm,
    MaintenanceRecord,
    NormCreate,
    NormPublic,
    NormUpdate,
    RecordCreate,
    RecordPublic,
)
from domain.maintenance.rules import DUE_CSV_COLUMNS, MAX_WITHIN_DAYS


class NormNotFound(NotFound):
    code = "norm-not-found"
    title = "Maintenance norm not found"


class DuplicateNorm(Conflict):
    code = "duplicate-norm"
    title = "A norm of this scope already exists"


def _bad_cursor(exc: Exception | None = None) -> InvalidQuery:
    error = InvalidQuery("cursor is not one this service gave out", parameter="cursor")
    error.__cause__ = exc
    return error


def create_norm(session: Session, *, principal: Principal, data: NormCreate) -> MaintenanceNorm:
    """Add a norm (admins only); what is due changes at once."""
    require_role(principal, Role.admin)
    check_kind(session, data.kind)
    scope = (data.kind, data.station_type, data.automation, data.action)
    if queries.select_norm_by_scope(session, *scope) is not None:
        raise DuplicateNorm(
            "a norm for this kind, station type, automation level and action already exists",
            pointer="#/action",
        )
    norm = MaintenanceNorm(**data.model_dump(mode="json"), updated_by=principal.actor, revision=1)
    try:
        queries.insert_norm(session, norm)
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise DuplicateNorm("a norm of this scope already exists", pointer="#/action") from exc
    return norm


def find_norm(session: Session, *, scope: tuple[str, str | None, str | None, str]) -> MaintenanceNorm | None:
    """Return the norm of this (kind, station type, automation, action) scope, if any."""
    return queries.select_norm_by_scope(session, *scope)


def get_norm(session: Session, *, norm_id: int) -> MaintenanceNorm:
    """Return one norm or raise NormNotFound."""
    norm = queries.select_norm(session, norm_id)
    if norm is None:
        raise NormNotFound(f"no maintenance norm {norm_id}", norm_id=norm_id)
    return norm


def update_norm(
    session: Session, *, principal: Principal, norm_id: int, data: NormUpdate, if_match: int
) -> MaintenanceNorm:
    """Change a norm's interval, source or notes (admins only); refuses a stale `if_match`."""
    require_role(principal, Role.admin)
    norm = queries.select_norm(session, norm_id, lock=True)
    if norm is None:
        raise NormNotFound(f"no maintenance norm {norm_id}", norm_id=norm_id)
    check_revision("norm", norm.revision, if_match)
    changes = data.model_dump(exclude_unset=True)
    for name in ("interval_days", "source"):
        if name in changes and changes[name] is None:
            raise RuleViolation(f"{name} cannot be null", pointer=f"#/{name}")
    if all(getattr(norm, k) == v for k, v in changes.items()):
        return norm
    for key, value in changes.items():
        setattr(norm, key, value)
    norm.revision += 1
    norm.updated_by = principal.actor
    norm.updated_at = datetime.now(UTC)
    session.commit()
    return norm


def delete_norm(session: Session, *, principal: Principal, norm_id: int) -> None:
    """Delete a norm (admins only)."""
    require_role(principal, Role.admin)
    norm = get_norm(session, norm_id=norm_id)
    queries.delete_norm(session, norm)
    session.commit()


def list_norms(
    session: Session, *, kind: str | None, action: str | None, cursor: str | None, limit: int
) -> tuple[list[NormPublic], str | None]:
    """Return a keyset page of norms, optionally of one kind or action."""
    after = 0
    if cursor:
        (raw,) = decode_cursor(cursor, 1)
        if not raw.isdigit():
            raise _bad_cursor()
        after = int(raw)
    rows = queries.select_norms(session, kind=kind, action=action, after=after, limit=limit)
    items = [NormPublic.model_validate(n) for n in rows[:limit]]
    return items, encode_cursor(str(items[-1].id)) if len(rows) > limit and items else None


def record_maintenance(
    session: Session, *, principal: Principal, equipment_id: uuid.UUID, data: RecordCreate
) -> MaintenanceRecord:
    """Record an action done on an item (the station owner's editors or admins); due dates follow."""
    item, station = locate_equipment(session, principal=principal, equipment_id=equipment_id, write=True)
    check_not_future(data.performed_on, "performed_on", today())
    check_not_before(data.performed_on, "performed_on", item.installed_date, "installation date")
    if item.removed_date is not None and data.performed_on > item.removed_date:
        raise DateOutOfRange(
            f"performed_on {data.performed_on} is after the item's removal on {item.removed_date}",
            pointer="#/performed_on",
            value=data.performed_on.isoformat(),
        )
    record = MaintenanceRecord(
        **data.model_dump(mode="json"), equipment_id=item.id, station_id=station.id,
        recorded_by=principal.actor, organization=principal.organization,
    )  # fmt: skip
    record.performed_by = data.performed_by or principal.organization
    queries.insert_record(session, record)
    session.commit()
    return record


def list_records(
    session: Session, *, principal: Principal, equipment_id: uuid.UUID, cursor: str | None, limit: int
) -> tuple[list[RecordPublic], str | None]:
    """Return a keyset page of an item's records, newest first."""
    locate_equipment(session, principal=principal, equipment_id=equipment_id, write=False)
    after = None
    if cursor:
        day, raw_id = decode_cursor(cursor, 2)
        try:
            after = (date.fromisoformat(day), uuid.UUID(raw_id))
        except ValueError as exc:
            raise _bad_cursor(exc) from exc
    rows = queries.select_records(session, equipment_id, after=after, limit=limit)
    items = [RecordPublic.model_validate(r) for r in rows[:limit]]
    last = items[-1] if items else None
    more = len(rows) > limit and last is not None
    return items, encode_cursor(last.performed_on.isoformat(), str(last.id)) if more and last else None


def check_due_filter(f: DueFilter) -> DueFilter:
    """Return the filter if within_days is in range, else raise InvalidQuery."""
    if not 0 <= f.within_days <= MAX_WITHIN_DAYS:
        raise InvalidQuery(f"within_days must be between 0 and {MAX_WITHIN_DAYS}", parameter="within_days")
    return f


def _due_after(cursor: str) -> tuple[date, uuid.UUID, str]:
    day, raw_id, action = decode_cursor(cursor, 3)
    try:
        return date.fromisoformat(day), uuid.UUID(raw_id), action
    except ValueError as exc:
        raise _bad_cursor(exc) from exc


def list_due(
    session: Session, *, principal: Principal, filters: DueFilter, cursor: str | None, limit: int
) -> tuple[list[str], str | None]:
    """Return a keyset page of due and overdue actions as JSON text (most overdue first), and the next cursor."""
    check_due_filter(filters)
    after = _due_after(cursor) if cursor else None
    stmt = queries.select_due_page(filters, principal, today=today(), after=after, limit=limit)
    queries.without_jit(session)
    rows = session.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    if not (more and rows):
        return [str(r[3]) for r in rows], None
    due, item_id, action = rows[-1][0], rows[-1][1], rows[-1][2]
    return [str(r[3]) for r in rows], encode_cursor(due.isoformat(), str(item_id), action)


def due_csv(items: list[str]) -> Iterator[str]:
    """Yield the due actions of a page as CSV lines (cells made safe for spreadsheets: domain/csvio.py)."""
    rows = ([row.get(c) for c in DUE_CSV_COLUMNS] for row in map(json.loads, items))
    return csvio.csv_lines(DUE_CSV_COLUMNS, rows)
