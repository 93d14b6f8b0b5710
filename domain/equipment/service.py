"""Equipment use cases: install, change, move, remove, read. Each change is a station revision."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.access.rules import require_role, require_writer_of
from domain.equipment import queries
from domain.equipment.models import (
    EquipmentCreate,
    EquipmentItem,
    EquipmentKindPublic,
    EquipmentPublic,
    EquipmentRemove,
    EquipmentType,
    EquipmentUpdate,
)
from domain.equipment.rules import (
    EquipmentStatus,
    check_not_before,
    check_not_future,
    decode_cursor,
    derive_automation,
    encode_cursor,
    today,
)
from domain.errors import Conflict, InvalidQuery, NotFound, RuleViolation, check_revision
from domain.station.models import Station
from domain.station.service import StationNotFound, record_station_change


class EquipmentNotFound(NotFound):
    code = "equipment-not-found"
    title = "Equipment item not found"


class UnknownEquipmentKind(RuleViolation):
    code = "unknown-equipment-kind"
    title = "Unknown equipment kind"


class SerialNumberInUse(Conflict):
    code = "serial-number-in-use"
    title = "Serial number already installed elsewhere"


class EquipmentRemoved(RuleViolation):
    code = "equipment-removed"
    title = "Equipment item already removed"


class StationNotEquippable(RuleViolation):
    code = "station-not-equippable"
    title = "Equipment cannot be installed at a closed station"


REQUIRED = ("manufacturer", "installed_date", "status")


def _station_for_change(session: Session, principal: Principal, station_id: uuid.UUID) -> Station:
    station = queries.lock_station(session, station_id)
    if station is None or queries.select_visible_station(session, station_id, principal) is None:
        raise StationNotFound(f"no station {station_id}", station_id=str(station_id))
    require_writer_of(principal, station.owner)
    return station


def check_kind(session: Session, code: str) -> EquipmentType:
    """Return the kind with this code, or raise UnknownEquipmentKind naming the field."""
    kind = queries.select_kind(session, code)
    if kind is None:
        raise UnknownEquipmentKind(
            f"'{code}' is not an equipment kind (see GET /equipment-kinds)", pointer="#/kind", value=code
        )
    return kind


def _check_serial(session: Session, manufacturer: str, serial: str | None, exclude: uuid.UUID | None) -> None:
    if serial is None:
        return
    holder = queries.select_serial_holder(session, manufacturer, serial, exclude)
    if holder is not None:
        raise SerialNumberInUse(
            f"{manufacturer} serial number {serial} is already installed (item {holder.id})",
            pointer="#/serial_number",
            serial_number=serial,
            equipment_id=str(holder.id),
        )


def _record(
    session: Session, principal: Principal, station: Station, op: str, reason: str | None,
    before: list[dict[str, Any]],
) -> None:  # fmt: skip
    session.flush()
    installed, automatic = queries.count_installed(session, station.id)
    level = derive_automation(installed, automatic)
    fields = {"automation": level} if level is not None and level != station.automation else {}
    record_station_change(
        session, principal=principal, station_id=station.id, op=op, reason=reason,
        extra_state={"equipment": queries.equipment_state(session, station.id)},
        extra_before={"equipment": before}, fields=fields,
    )  # fmt: skip


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        if "uq_equipment_item_active_serial" in str(exc.orig):
            raise SerialNumberInUse(
                "this serial number is already installed", pointer="#/serial_number"
            ) from exc
        raise


def _new_item(session: Session, station: Station, data: EquipmentCreate, now: Any) -> EquipmentItem:
    check_kind(session, data.kind)
    check_not_future(data.installed_date, "installed_date", today())
    _check_serial(session, data.manufacturer, data.serial_number, None)
    fields = data.model_dump(exclude={"reason"})
    item = EquipmentItem(**fields, station_id=station.id, created_at=now, updated_at=now, revision=1)
    queries.insert_item(session, item)
    return item


def install_equipment(
    session: Session, *, principal: Principal, station_id: uuid.UUID, items: list[EquipmentCreate],
    reason: str | None = None,
) -> list[EquipmentItem]:  # fmt: skip
    """Install items at a station in one revision; the station's automation follows its equipment."""
    require_role(principal, Role.admin, Role.reviewer, Role.editor)
    station = _station_for_change(session, principal, station_id)
    if station.status == "closed":
        raise StationNotEquippable(f"station {station_id} is closed", station_id=str(station_id))
    before = queries.equipment_state(session, station.id)
    now = datetime.now(UTC)
    created = [_new_item(session, station, data, now) for data in items]
    why = reason or next((d.reason for d in items if d.reason), None) or "equipment installed"
    _record(session, principal, station, "equipment_add", why, before)
    _commit(session)
    return created


def _item_for_change(
    session: Session, principal: Principal, equipment_id: uuid.UUID
) -> tuple[EquipmentItem, Station]:
    require_role(principal, Role.admin, Role.reviewer, Role.editor)
    item = queries.select_item(session, equipment_id, lock=True)
    if item is None or queries.select_visible_station(session, item.station_id, principal) is None:
        raise EquipmentNotFound(f"no equipment item {equipment_id}", equipment_id=str(equipment_id))
    return item, _station_for_change(session, principal, item.station_id)


def locate_equipment(
    session: Session, *, principal: Principal, equipment_id: uuid.UUID, write: bool
) -> tuple[EquipmentItem, Station]:
    """Return an item and its station, checking the principal may see it (and, with `write`, change it)."""
    if write:
        return _item_for_change(session, principal, equipment_id)
    item = queries.select_item(session, equipment_id)
    station = None if item is None else queries.select_visible_station(session, item.station_id, principal)
    if item is None or station is None:
        raise EquipmentNotFound(f"no equipment item {equipment_id}", equipment_id=str(equipment_id))
    return item, station


def _check_update(session: Session, item: EquipmentItem, changes: dict[str, Any], if_match: int) -> None:
    if item.removed_date is not None:
        raise EquipmentRemoved(
            f"item {item.id} was removed on {item.removed_date}", equipment_id=str(item.id)
        )
    check_revision("item", item.revision, if_match)
    for name in REQUIRED:
        if name in changes and changes[name] is None:
            raise RuleViolation(f"{name} cannot be null", pointer=f"#/{name}")
    if changes.get("installed_date") is not None:
        check_not_future(changes["installed_date"], "installed_date", today())
    if "manufacturer" in changes or "serial_number" in changes:
        manufacturer = changes.get("manufacturer", item.manufacturer)
        _check_serial(session, manufacturer, changes.get("serial_number", item.serial_number), item.id)


def update_equipment(
    session: Session, *, principal: Principal, equipment_id: uuid.UUID, data: EquipmentUpdate, if_match: int
) -> EquipmentItem:
    """Change an item's fields, or move it to another station (`station_id`); refuses a stale `if_match`."""
    item, station = _item_for_change(session, principal, equipment_id)
    changes = data.model_dump(exclude_unset=True, exclude={"reason", "station_id"})
    _check_update(session, item, changes, if_match)
    target = data.station_id if data.station_id not in (None, item.station_id) else None
    if target is not None:
        return _move(session, principal, item, station, target, changes, data.reason)
    if all(getattr(item, k) == v for k, v in changes.items()):
        return item
    before = queries.equipment_state(session, station.id)
    _apply(item, changes)
    _record(session, principal, station, "equipment_update", data.reason or "equipment changed", before)
    _commit(session)
    return item


def _apply(item: EquipmentItem, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(item, key, value)
    item.revision += 1
    item.updated_at = datetime.now(UTC)


def _move(
    session: Session, principal: Principal, item: EquipmentItem, source: Station, target_id: uuid.UUID,
    changes: dict[str, Any], reason: str | None,
) -> EquipmentItem:  # fmt: skip
    target = _station_for_change(session, principal, target_id)
    if target.status == "closed":
        raise StationNotEquippable(f"station {target_id} is closed", pointer="#/station_id")
    before_source = queries.equipment_state(session, source.id)
    before_target = queries.equipment_state(session, target.id)
    _apply(item, changes)
    item.station_id = target.id
    why = reason or f"moved from {source.national_code} to {target.national_code}"
    _record(session, principal, source, "equipment_move", why, before_source)
    _record(session, principal, target, "equipment_move", why, before_target)
    _commit(session)
    return item


def remove_equipment(
    session: Session, *, principal: Principal, equipment_id: uuid.UUID, data: EquipmentRemove
) -> EquipmentItem:
    """Mark an item removed on a date (today by default); it stays in the history."""
    item, station = _item_for_change(session, principal, equipment_id)
    if item.removed_date is not None:
        raise EquipmentRemoved(
            f"item {item.id} was removed on {item.removed_date}", equipment_id=str(item.id)
        )
    removed = data.removed_date or today()
    check_not_future(removed, "removed_date", today())
    check_not_before(removed, "removed_date", item.installed_date, "installation date")
    before = queries.equipment_state(session, station.id)
    _apply(item, {"removed_date": removed, "status": EquipmentStatus.removed.value})
    _record(session, principal, station, "equipment_remove", data.reason or "equipment removed", before)
    _commit(session)
    return item


def public(session: Session, item: EquipmentItem) -> EquipmentPublic:
    """Return the API shape of an item (with its kind's automatic flag)."""
    kind = check_kind(session, item.kind)
    return EquipmentPublic.model_validate(item.model_dump() | {"automatic": kind.automatic})


def get_equipment(session: Session, *, principal: Principal, equipment_id: uuid.UUID) -> EquipmentPublic:
    """Return one item the principal may see, or raise EquipmentNotFound."""
    item, _ = locate_equipment(session, principal=principal, equipment_id=equipment_id, write=False)
    return public(session, item)


def list_station_equipment(
    session: Session, *, principal: Principal, station_id: uuid.UUID, include_removed: bool,
    cursor: str | None, limit: int,
) -> tuple[list[EquipmentPublic], str | None]:  # fmt: skip
    """Return a keyset page of a station's items (installed only unless `include_removed`)."""
    if queries.select_visible_station(session, station_id, principal) is None:
        raise StationNotFound(f"no station {station_id}", station_id=str(station_id))
    after = None
    if cursor:
        kind, raw_id = decode_cursor(cursor, 2)
        try:
            after = (kind, uuid.UUID(raw_id))
        except ValueError as exc:
            raise InvalidQuery("cursor is not one this service gave out", parameter="cursor") from exc
    rows = queries.select_station_items(
        session, station_id, include_removed=include_removed, after=after, limit=limit
    )
    items = [EquipmentPublic.model_validate(i.model_dump() | {"automatic": a}) for i, a in rows[:limit]]
    nxt = encode_cursor(items[-1].kind, str(items[-1].id)) if len(rows) > limit and items else None
    return items, nxt


def list_equipment_kinds(session: Session) -> list[EquipmentKindPublic]:
    """Return the equipment kind code list."""
    return [EquipmentKindPublic.model_validate(k) for k in queries.select_kinds(session)]


def ensure_equipment_kind(session: Session, *, kind: EquipmentType) -> bool:
    """Add a kind if its code is new (for seeding); return True when added. No commit."""
    if queries.select_kind(session, kind.code) is not None:
        return False
    queries.insert_kind(session, kind)
    return True


def stations_with_equipment(session: Session, *, station_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Return which of these stations already have equipment (for idempotent seeding)."""
    return queries.stations_with_equipment(session, station_ids) if station_ids else set()
