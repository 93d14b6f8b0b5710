"""All maintenance SQL: norms, records, and the due schedule computed in one query."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    Text,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from domain.access.models import Principal, Role
from domain.equipment.models import EquipmentItem
from domain.maintenance.models import DueFilter, MaintenanceNorm, MaintenanceRecord
from domain.maintenance.rules import DUE_STATION_STATUSES, MaintenanceAction
from domain.station.models import Station

S = Station.__table__.c  # type: ignore[attr-defined]
I = EquipmentItem.__table__.c  # type: ignore[attr-defined]  # noqa: E741
N = MaintenanceNorm.__table__.c  # type: ignore[attr-defined]
R = MaintenanceRecord.__table__.c  # type: ignore[attr-defined]
NO_JIT = text("SET LOCAL jit = off")


def station_visible(principal: Principal) -> ColumnElement[bool]:
    """Return the condition of the stations a principal may see (mirrors the station area's rule)."""
    if principal.has_national_powers:
        return true()
    open_: ColumnElement[bool] = S.data_policy != "restricted"
    if principal.role in (Role.editor, Role.viewer) and principal.organization:
        return or_(open_, S.owner == principal.organization, S.operator == principal.organization)
    return open_


def select_norm(session: Session, norm_id: int, *, lock: bool = False) -> MaintenanceNorm | None:
    """Return one norm, optionally locked FOR UPDATE."""
    stmt = orm_select(MaintenanceNorm).where(col(MaintenanceNorm.id) == norm_id)
    return session.exec(stmt.with_for_update() if lock else stmt).first()


def select_norm_by_scope(
    session: Session, kind: str, station_type: str | None, automation: str | None, action: str
) -> MaintenanceNorm | None:
    """Return the norm of exactly this scope (NULL matching NULL)."""
    stmt = orm_select(MaintenanceNorm).where(
        col(MaintenanceNorm.kind) == kind,
        col(MaintenanceNorm.station_type).is_not_distinct_from(station_type),
        col(MaintenanceNorm.automation).is_not_distinct_from(automation),
        col(MaintenanceNorm.action) == action,
    )
    return session.exec(stmt).first()


def select_norms(
    session: Session, *, kind: str | None, action: str | None, after: int, limit: int
) -> list[MaintenanceNorm]:
    """Return a keyset page (limit + 1) of norms, by id."""
    stmt = orm_select(MaintenanceNorm).where(col(MaintenanceNorm.id) > after)
    if kind:
        stmt = stmt.where(col(MaintenanceNorm.kind) == kind)
    if action:
        stmt = stmt.where(col(MaintenanceNorm.action) == action)
    return list(session.exec(stmt.order_by(col(MaintenanceNorm.id)).limit(limit + 1)).all())


def insert_norm(session: Session, norm: MaintenanceNorm) -> None:
    """Add a norm."""
    session.add(norm)
    session.flush()


def delete_norm(session: Session, norm: MaintenanceNorm) -> None:
    """Delete a norm."""
    session.delete(norm)
    session.flush()


def insert_record(session: Session, record: MaintenanceRecord) -> None:
    """Add a maintenance record."""
    session.add(record)
    session.flush()


def select_records(
    session: Session, equipment_id: uuid.UUID, *, after: tuple[date, uuid.UUID] | None, limit: int
) -> list[MaintenanceRecord]:
    """Return a keyset page (limit + 1) of an item's records, newest first."""
    stmt = orm_select(MaintenanceRecord).where(col(MaintenanceRecord.equipment_id) == equipment_id)
    if after is not None:
        key = tuple_(col(MaintenanceRecord.performed_on), col(MaintenanceRecord.id))
        stmt = stmt.where(key < tuple_(cast(literal(after[0]), Date()), literal(after[1], R.id.type)))
    order = (col(MaintenanceRecord.performed_on).desc(), col(MaintenanceRecord.id).desc())
    return list(session.exec(stmt.order_by(*order).limit(limit + 1)).all())


def _applicable_norms() -> Any:
    """Return a LATERAL subquery: per action, the most specific norm matching the item and station."""
    rank = case((N.station_type.is_not(None), 2), else_=0) + case((N.automation.is_not(None), 1), else_=0)
    return (
        select(N.id.label("norm_id"), N.action, N.interval_days, N.source)
        .where(
            N.kind == I.kind,
            or_(N.station_type.is_(None), N.station_type == func.any(S.station_types)),
            or_(N.automation.is_(None), N.automation == S.automation),
        )
        .ext(distinct_on(N.action))
        .order_by(N.action, rank.desc(), N.interval_days, N.id)
        .lateral("norm")
    )


def without_jit(session: Session) -> None:
    """Turn JIT compilation off for the rest of this transaction.

    The due query is costed high enough to trigger JIT, whose compilation took ~0.5 s of a ~1.4 s
    first page at 300k items (bench/RESULTS.md, Maintenance) while saving nothing measurable.
    """
    session.execute(NO_JIT)


def _due_json(page: Any, today: date) -> ColumnElement[Any]:
    """Return the JSON text of one due row, built from the page's keys and the joined rows."""
    overdue = cast(literal(today), Date()) - page.c.due_date
    return func.cast(func.json_build_object(
        "due_date", page.c.due_date, "days_overdue", overdue, "action", page.c.action,
        "interval_days", N.interval_days, "last_performed_on", page.c.last_on,
        "equipment_id", I.id, "kind", I.kind, "manufacturer", I.manufacturer, "model", I.model,
        "serial_number", I.serial_number, "installed_date", I.installed_date, "station_id", S.id,
        "national_code", S.national_code, "station_name", S.name, "owner", S.owner, "province", S.province,
        "norm_id", N.id, "norm_source", N.source,
    ), Text())  # fmt: skip


def _last_records() -> Any:
    """Return a LATERAL subquery: an item's last record date of each action, in one index range scan."""
    dates = [func.max(R.performed_on).filter(R.action == a.value).label(a.value) for a in MaintenanceAction]
    return select(*dates).where(R.equipment_id == I.id).lateral("last")


def _due_keys(f: DueFilter, principal: Principal, today: date) -> tuple[Select[Any], Any]:
    """Return the due rows as keys only (due date, item, action, norm, last record) and the due date."""
    norm = _applicable_norms()
    last = _last_records()
    last_on = case(*((norm.c.action == a.value, last.c[a.value]) for a in MaintenanceAction))
    due_date = func.coalesce(last_on, I.installed_date) + norm.c.interval_days
    stmt = (
        select(
            due_date.label("due_date"),
            I.id.label("item_id"),
            norm.c.action,
            norm.c.norm_id,
            last_on.label("last_on"),
        )
        .select_from(EquipmentItem.__table__)  # type: ignore[attr-defined]
        .join(Station.__table__, S.id == I.station_id)  # type: ignore[attr-defined]
        .join(norm, true())
        .join(last, true())
        .where(I.removed_date.is_(None), S.status.in_(DUE_STATION_STATUSES), station_visible(principal))
        .where(due_date <= cast(literal(today), Date()) + f.within_days)
    )
    for column, values in ((S.owner, f.owner), (S.province, f.province)):
        if values:
            stmt = stmt.where(column.in_(values))
    if f.station_id is not None:
        stmt = stmt.where(S.id == f.station_id)
    return stmt, due_date


def select_due_page(
    f: DueFilter, principal: Principal, *, today: date, after: tuple[date, uuid.UUID, str] | None, limit: int
) -> Select[Any]:
    """Return the query of one page of due actions (limit + 1 rows), most overdue first.

    Per installed item at an operational or suspended station, LATERAL picks the applicable norm of
    each action and the last record of that action; the due date is that record's date (or the
    installation date) plus the interval. The page is chosen on keys only and the JSON is built for
    its rows alone. Rows: (due_date, equipment_id, action, JSON text).
    """
    keys, due_date = _due_keys(f, principal, today)
    if after is not None:
        position = (cast(literal(after[0]), Date()), literal(after[1], I.id.type), literal(after[2]))
        keys = keys.where(tuple_(due_date, I.id, keys.selected_columns.action) > tuple_(*position))
    page = keys.order_by(due_date, I.id, keys.selected_columns.action).limit(limit + 1).subquery("page")
    return (
        select(page.c.due_date, page.c.item_id, page.c.action, _due_json(page, today))
        .join_from(page, EquipmentItem.__table__, I.id == page.c.item_id)  # type: ignore[attr-defined]
        .join(Station.__table__, S.id == I.station_id)  # type: ignore[attr-defined]
        .join(MaintenanceNorm.__table__, N.id == page.c.norm_id)  # type: ignore[attr-defined]
        .order_by(page.c.due_date, page.c.item_id, page.c.action)
    )
