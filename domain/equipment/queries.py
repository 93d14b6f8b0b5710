"""All equipment SQL: items and kinds, the equipment state of a station, and station statistics."""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select, true, tuple_, union_all
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from domain.access.models import Principal, Role
from domain.equipment.models import EquipmentItem, EquipmentType
from domain.station.models import Station

S = Station.__table__.c  # type: ignore[attr-defined]
I = EquipmentItem.__table__.c  # type: ignore[attr-defined]  # noqa: E741
K = EquipmentType.__table__.c  # type: ignore[attr-defined]


def station_visible(principal: Principal) -> ColumnElement[bool]:
    """Return the condition of the stations a principal may see.

    Mirrors the station area's rule (restricted stations only to their owner/operator and admins);
    kept here because one area never imports another's queries.
    """
    if principal.has_national_powers:
        return true()
    open_: ColumnElement[bool] = S.data_policy != "restricted"
    if principal.role in (Role.editor, Role.viewer) and principal.organization:
        return or_(open_, S.owner == principal.organization, S.operator == principal.organization)
    return open_


def lock_station(session: Session, station_id: uuid.UUID) -> Station | None:
    """Return the station row locked FOR UPDATE (serializes equipment writers of one station)."""
    stmt = orm_select(Station).where(col(Station.id) == station_id).with_for_update()
    return session.exec(stmt).first()


def select_visible_station(session: Session, station_id: uuid.UUID, principal: Principal) -> Station | None:
    """Return the station if it exists and the principal may see it."""
    stmt = orm_select(Station).where(col(Station.id) == station_id, station_visible(principal))
    return session.exec(stmt).first()


def select_kind(session: Session, code: str) -> EquipmentType | None:
    """Return the equipment kind with this code."""
    return session.get(EquipmentType, code)


def select_kinds(session: Session) -> list[EquipmentType]:
    """Return every equipment kind, by code."""
    return list(session.exec(orm_select(EquipmentType).order_by(col(EquipmentType.code))).all())


def insert_kind(session: Session, kind: EquipmentType) -> None:
    """Add a kind to the code list."""
    session.add(kind)
    session.flush()


def select_item(session: Session, equipment_id: uuid.UUID, *, lock: bool = False) -> EquipmentItem | None:
    """Return one item, optionally locked FOR UPDATE."""
    stmt = orm_select(EquipmentItem).where(col(EquipmentItem.id) == equipment_id)
    return session.exec(stmt.with_for_update() if lock else stmt).first()


def select_serial_holder(
    session: Session, manufacturer: str, serial_number: str, exclude: uuid.UUID | None
) -> EquipmentItem | None:
    """Return the installed item of this manufacturer (any case) and serial number, other than `exclude`."""
    stmt = orm_select(EquipmentItem).where(
        func.lower(col(EquipmentItem.manufacturer)) == manufacturer.lower(),
        col(EquipmentItem.serial_number) == serial_number,
        col(EquipmentItem.removed_date).is_(None),
    )
    if exclude is not None:
        stmt = stmt.where(col(EquipmentItem.id) != exclude)
    return session.exec(stmt.limit(1)).first()


def insert_item(session: Session, item: EquipmentItem) -> None:
    """Add an item."""
    session.add(item)
    session.flush()


def select_station_items(
    session: Session,
    station_id: uuid.UUID,
    *,
    include_removed: bool,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[EquipmentItem, bool]]:
    """Return a keyset page (limit + 1) of a station's items with their kind's automatic flag."""
    stmt = (
        select(EquipmentItem, K.automatic)
        .join(EquipmentType.__table__, K.code == I.kind)  # type: ignore[attr-defined]
        .where(I.station_id == station_id)
    )
    if not include_removed:
        stmt = stmt.where(I.removed_date.is_(None))
    if after is not None:
        stmt = stmt.where(tuple_(I.kind, I.id) > tuple_(literal(after[0]), literal(after[1], I.id.type)))
    stmt = stmt.order_by(I.kind, I.id).limit(limit + 1)
    return [(row[0], bool(row[1])) for row in session.execute(stmt).all()]


def equipment_state(session: Session, station_id: uuid.UUID) -> list[dict[str, Any]]:
    """Return the installed items of a station as JSON-ready data (what a station revision keeps)."""
    stmt = (
        orm_select(EquipmentItem)
        .where(col(EquipmentItem.station_id) == station_id, col(EquipmentItem.removed_date).is_(None))
        .order_by(col(EquipmentItem.installed_date), col(EquipmentItem.id))
    )
    keep = {"id", "kind", "manufacturer", "model", "serial_number", "firmware", "installed_date", "status"}
    return [item.model_dump(mode="json", include=keep) for item in session.exec(stmt).all()]


def count_installed(session: Session, station_id: uuid.UUID) -> tuple[int, int]:
    """Return (installed items, installed items of an automatic kind) at a station."""
    stmt = (
        select(func.count(), func.count().filter(K.automatic))
        .select_from(EquipmentItem.__table__)  # type: ignore[attr-defined]
        .join(EquipmentType.__table__, K.code == I.kind)  # type: ignore[attr-defined]
        .where(I.station_id == station_id, I.removed_date.is_(None))
    )
    row = session.execute(stmt).one()
    return int(row[0]), int(row[1])


def stations_with_equipment(session: Session, station_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Return which of these stations have at least one item, installed or removed."""
    stmt = select(I.station_id).where(I.station_id.in_(station_ids)).distinct()
    return {row[0] for row in session.execute(stmt).all()}


def _facts(owner: list[str], province: list[str], principal: Principal) -> Any:
    base = select(S.id, S.province, S.owner, S.network, S.automation, S.status, S.station_types)
    base = base.where(station_visible(principal))
    if owner:
        base = base.where(S.owner.in_(owner))
    if province:
        base = base.where(S.province.in_(province))
    s = base.cte("s")
    dims: list[tuple[str, Any]] = [
        ("total", literal("total")),
        ("network", s.c.network),
        ("automation", s.c.automation),
    ]
    dims += [("status", s.c.status), ("type", func.unnest(s.c.station_types))]
    parts = [
        select(s.c.id, s.c.province, s.c.owner, literal(d).label("dim"), v.label("val")) for d, v in dims
    ]
    return union_all(*parts).subquery("facts")


def count_stations_grouped(
    session: Session, *, owner: list[str], province: list[str], principal: Principal
) -> list[tuple[Any, ...]]:
    """Return (scope, province, owner, dim, value, stations) counts; scope is all, province or owner."""
    f = _facts(owner, province, principal)
    scope = case(
        (func.grouping(f.c.province) == 0, "province"), (func.grouping(f.c.owner) == 0, "owner"), else_="all"
    )
    stmt = (
        select(scope, f.c.province, f.c.owner, f.c.dim, f.c.val, func.count(func.distinct(f.c.id)))
        .group_by(
            func.grouping_sets(
                tuple_(f.c.dim, f.c.val),
                tuple_(f.c.province, f.c.dim, f.c.val),
                tuple_(f.c.owner, f.c.dim, f.c.val),
            )
        )
        .order_by(f.c.province, f.c.owner, f.c.dim, f.c.val)
    )
    return [tuple(row) for row in session.execute(stmt).all()]
