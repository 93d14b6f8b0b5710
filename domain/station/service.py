"""Station use cases: register, change, close, read, list, history. Each write ends in one commit."""

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.access.rules import can_see_restricted, require_role, require_writer_of
from domain.access.service import OrganizationNotFound, check_direct_write, get_organization
from domain.db.spatial import from_geojson, to_geojson
from domain.errors import AccessDenied, Conflict, NotFound, RuleViolation, check_revision
from domain.station import queries
from domain.station.models import Station, StationClose, StationCreate, StationRevision, StationUpdate
from domain.station.rules import (
    archipelago_province,
    changed_fields,
    check_location,
    implied_automation,
    search_text,
    wigos_place,
)

log = logging.getLogger(__name__)
CARRIED_STATE_KEYS = ("equipment",)
OFFSHORE_PROVINCE_KM = 150.0  # an offshore station belongs to the nearest province within this distance


class StationNotFound(NotFound):
    code = "station-not-found"
    title = "Station not found"


class DuplicateStationCode(Conflict):
    code = "duplicate-station-code"
    title = "National station code already used"


class DuplicateWigosId(Conflict):
    code = "duplicate-wigos-id"
    title = "WIGOS identifier already held by another station"


class StationClosed(RuleViolation):
    code = "station-closed"
    title = "Station is closed"


class UnknownOrganization(RuleViolation):
    code = "unknown-organization"
    title = "Owner or operator is not a registered organization"


def _known_organization(session: Session, code: str, field: str) -> str:
    try:
        get_organization(session, code=code)
    except OrganizationNotFound as exc:
        raise UnknownOrganization(
            f"{field} '{code}' is not a registered organization", pointer=f"#/{field}", value=code
        ) from exc
    return code


def snapshot(station: Station) -> dict[str, Any]:
    """Return the full state of a station as JSON-ready data (what a revision keeps).

    Not its zones: they follow the zones' geometry, which changes without a station revision.
    """
    data = station.model_dump(exclude={"search_text", "location", "zones"}, mode="json")
    data["location"] = to_geojson(station.location)
    return data


def _apply_location(session: Session, station: Station, location: dict[str, Any]) -> None:
    lon, lat = float(location["coordinates"][0]), float(location["coordinates"][1])
    check_location(lon, lat)
    station.location = from_geojson({"type": "Point", "coordinates": [lon, lat]})
    station.wmo_region, station.territory = wigos_place(lon, lat)
    station.zones = queries.zones_containing(session, lon, lat)
    station.province = archipelago_province(lon, lat) or queries.province_of(
        session, lon, lat, OFFSHORE_PROVINCE_KM
    )


def _check_wsis_free(session: Session, wsis: list[str], station_id: uuid.UUID) -> None:
    held = {w: sid for w, sid in queries.select_wsi_holders(session, wsis).items() if sid != station_id}
    if held:
        wsi = next(iter(held))
        raise DuplicateWigosId(f"WIGOS identifier {wsi} is already held by another station", wsi=wsi)
    issued = {w: sid for w, sid in queries.select_wsi_issued_to(session, wsis).items() if sid != station_id}
    if issued:
        wsi = next(iter(issued))
        raise DuplicateWigosId(
            f"WIGOS identifier {wsi} was issued to another station; an identifier is never reused", wsi=wsi
        )


def _check_code_free(session: Session, code: str, station_id: uuid.UUID) -> None:
    other = queries.select_station_by_code(session, code)
    if other is not None and other.id != station_id:
        raise DuplicateStationCode(f"national code '{code}' is already used", national_code=code)


def _resolve_owner(session: Session, principal: Principal, owner: str | None) -> str:
    if principal.has_national_powers:
        if owner is None:
            raise RuleViolation("an admin must name the owner organization", pointer="#/owner")
    elif owner is not None and owner != principal.organization:
        raise AccessDenied("only an admin may set the owner to another organization", pointer="#/owner")
    return _known_organization(session, owner or str(principal.organization), "owner")


def _record(
    session: Session,
    station: Station,
    principal: Principal,
    op: str,
    before: dict[str, Any] | None,
    reason: str | None,
    approved_by: str | None = None,
) -> None:
    # what other areas keep in the state (the equipment list) is carried forward unchanged
    carried = queries.select_carried_state(session, station.id, CARRIED_STATE_KEYS)
    state = snapshot(station) | carried
    _write_revision(session, station, principal, op, reason, (before or {}) | carried, state, approved_by)


def _write_revision(
    session: Session,
    station: Station,
    principal: Principal,
    op: str,
    reason: str | None,
    before: dict[str, Any],
    state: dict[str, Any],
    approved_by: str | None = None,
) -> None:
    """Insert the station's new revision: its state, what changed from `before`, and who approved it."""
    changes = changed_fields(before, state)
    for volatile in ("updated_at", "revision", "created_at"):
        changes.pop(volatile, None)
    rev = StationRevision(
        station_id=station.id, revision=station.revision, op=op, actor=principal.actor,
        organization=principal.organization, at=station.updated_at, reason=reason,
        changes=changes, state=state, approved_by=approved_by,
    )  # fmt: skip
    queries.insert_revision(session, rev)


@contextmanager
def _unique_keys(session: Session, national_code: str) -> Iterator[None]:
    """Turn a unique violation met while writing (a concurrent writer got there first) into a Conflict."""
    try:
        yield
    except IntegrityError as exc:
        session.rollback()
        text = str(exc.orig)
        if "uq_station_code" in text:
            raise DuplicateStationCode(
                f"national code '{national_code}' is already used", national_code=national_code
            ) from exc
        if "station_wigos_id_pkey" in text:
            raise DuplicateWigosId("a WIGOS identifier is already held by another station") from exc
        raise


def _new_station(
    session: Session, principal: Principal, data: StationCreate, station_id: uuid.UUID | None = None
) -> Station:
    """Return the station a registration makes (not yet added), or raise what refuses it."""
    require_role(principal, Role.admin, Role.reviewer, Role.editor)
    owner = _resolve_owner(session, principal, data.owner)
    if data.operator:
        _known_organization(session, data.operator, "operator")
    now = datetime.now(UTC)
    fields = data.model_dump(mode="json", exclude={"location", "owner", "established_date"})
    station = Station(
        id=station_id or uuid.uuid4(),
        **fields,
        established_date=data.established_date,
        owner=owner,
        search_text=search_text(data.name, data.national_code),
        created_at=now,
        updated_at=now,
        revision=1,
    )
    _apply_location(session, station, data.location.model_dump())
    _check_code_free(session, data.national_code, station.id)
    _check_wsis_free(session, data.wigos_ids, station.id)
    return station


def check_registration(session: Session, *, principal: Principal, data: StationCreate) -> dict[str, Any]:
    """Check a registration as register_station would, writing nothing; return the new station's state."""
    return snapshot(_new_station(session, principal, data))


def register_station(
    session: Session, *, principal: Principal, data: StationCreate, approved_by: str | None = None,
    station_id: uuid.UUID | None = None,
) -> Station:  # fmt: skip
    """Register a new station; owner defaults to the caller's organization.

    When a change request is applied, `approved_by` names its reviewer and `station_id` is the id it
    announced; without `approved_by` an editor of an organization under review is refused (ReviewRequired).
    """
    check_direct_write(session, principal=principal, approved_by=approved_by)
    station = _new_station(session, principal, data, station_id)
    with _unique_keys(session, data.national_code):
        session.add(station)
        session.flush()
        queries.replace_wsis(session, station.id, data.wigos_ids)
        _record(session, station, principal, "create", None, "registered", approved_by)
        session.commit()
    return station


def _locked(session: Session, principal: Principal, station_id: uuid.UUID) -> Station:
    station = queries.lock_station(session, station_id)
    if station is None or (
        station.data_policy == "restricted"
        and not can_see_restricted(principal, station.owner, station.operator)
    ):
        raise StationNotFound(f"no station {station_id}", station_id=str(station_id))
    return station


def _checked_update(
    session: Session, principal: Principal, station_id: uuid.UUID, data: StationUpdate, if_match: int
) -> tuple[Station, dict[str, Any]]:
    require_role(principal, Role.admin, Role.reviewer, Role.editor)
    station = _locked(session, principal, station_id)
    require_writer_of(principal, station.owner)
    check_revision("station", station.revision, if_match)
    changes = data.model_dump(exclude_unset=True, mode="json", exclude={"reason"})
    _check_update(session, principal, station, changes)
    return station, changes


def check_update(
    session: Session, *, principal: Principal, station_id: uuid.UUID, data: StationUpdate, if_match: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check a change as update_station would, writing nothing; return the state before and the changes."""
    station, changes = _checked_update(session, principal, station_id, data, if_match)
    _check_keys_free(session, station, changes)
    if "location" in changes:
        check_location(*(float(c) for c in changes["location"]["coordinates"][:2]))
    return snapshot(station), changes


def update_station(
    session: Session, *, principal: Principal, station_id: uuid.UUID, data: StationUpdate, if_match: int,
    approved_by: str | None = None,
) -> Station:  # fmt: skip
    """Apply a partial change, refusing it unless `if_match` is the current revision."""
    check_direct_write(session, principal=principal, approved_by=approved_by)
    station, changes = _checked_update(session, principal, station_id, data, if_match)
    before = snapshot(station)
    with _unique_keys(session, changes.get("national_code", station.national_code)):
        _apply_changes(session, station, changes)
        if snapshot(station) == before:
            return station
        station.revision += 1
        station.updated_at = datetime.now(UTC)
        if station.status == "closed" and station.closed_date is None:
            station.closed_date = station.updated_at.date()
        _record(session, station, principal, "update", before, data.reason, approved_by)
        session.commit()
    return station


REQUIRED_FIELDS = (
    "national_code", "name", "network", "station_types", "automation", "status", "location",
    "data_policy", "owner", "wigos_ids", "variables", "programmes",
)  # fmt: skip


def _check_update(session: Session, principal: Principal, station: Station, changes: dict[str, Any]) -> None:
    for required in REQUIRED_FIELDS:
        if required in changes and changes[required] is None:
            hint = " (send [] for none)" if required in ("wigos_ids", "variables", "programmes") else ""
            raise RuleViolation(f"{required} cannot be null{hint}", pointer=f"#/{required}")
    if "owner" in changes and changes["owner"] != station.owner:
        if not principal.has_national_powers:
            raise AccessDenied("only an admin may change the owner", pointer="#/owner")
        _known_organization(session, changes["owner"], "owner")
    if changes.get("operator"):
        _known_organization(session, changes["operator"], "operator")
    if changes.get("automation") and changes["automation"] != station.automation:
        _check_automation_follows_equipment(session, station.id, changes["automation"])


def _check_automation_follows_equipment(session: Session, station_id: uuid.UUID, wanted: str) -> None:
    installed, automatic = queries.count_installed_equipment(session, station_id)
    implied = implied_automation(installed, automatic)
    if implied is not None and implied != wanted:
        raise RuleViolation(
            f"automation follows the station's equipment: {automatic} of {installed} installed items are "
            f"automatic, so it is {implied}; change the equipment instead",
            pointer="#/automation",
        )


def _check_keys_free(session: Session, station: Station, changes: dict[str, Any]) -> None:
    if "national_code" in changes:
        _check_code_free(session, changes["national_code"], station.id)
    if "wigos_ids" in changes:
        _check_wsis_free(session, changes["wigos_ids"], station.id)


def _apply_changes(session: Session, station: Station, changes: dict[str, Any]) -> None:
    _check_keys_free(session, station, changes)
    if "wigos_ids" in changes:
        queries.replace_wsis(session, station.id, changes["wigos_ids"])
    if "location" in changes:
        _apply_location(session, station, changes.pop("location"))
    if changes.get("established_date") is not None:
        changes["established_date"] = date.fromisoformat(changes["established_date"])
    for key, value in changes.items():
        setattr(station, key, value)
    station.search_text = search_text(station.name, station.national_code)


def _checked_close(
    session: Session, principal: Principal, station_id: uuid.UUID, data: StationClose, if_match: int | None
) -> Station:
    require_role(principal, Role.admin, Role.reviewer, Role.editor)
    station = _locked(session, principal, station_id)
    require_writer_of(principal, station.owner)
    if if_match is not None:
        check_revision("station", station.revision, if_match)
    if station.status == "closed":
        raise StationClosed(f"station {station_id} is already closed", closed_date=str(station.closed_date))
    if data.successor_id is not None:
        if data.successor_id == station_id or queries.lock_station(session, data.successor_id) is None:
            raise RuleViolation("successor_id must be another existing station", pointer="#/successor_id")
    return station


def check_close(
    session: Session, *, principal: Principal, station_id: uuid.UUID, data: StationClose
) -> dict[str, Any]:
    """Check a closure as close_station would, writing nothing; return the station's state."""
    return snapshot(_checked_close(session, principal, station_id, data, None))


def close_station(
    session: Session, *, principal: Principal, station_id: uuid.UUID, data: StationClose,
    if_match: int | None = None, approved_by: str | None = None,
) -> Station:  # fmt: skip
    """Close a station: keep the record, with its date, reason and successor (at `if_match` if given)."""
    check_direct_write(session, principal=principal, approved_by=approved_by)
    station = _checked_close(session, principal, station_id, data, if_match)
    before = snapshot(station)
    station.status = "closed"
    station.closed_date = data.closed_date or date.today()
    station.close_reason = data.reason
    station.successor_id = data.successor_id
    station.revision += 1
    station.updated_at = datetime.now(UTC)
    _record(session, station, principal, "close", before, data.reason, approved_by)
    session.commit()
    return station


def record_station_change(
    session: Session,
    *,
    principal: Principal,
    station_id: uuid.UUID,
    op: str,
    reason: str | None,
    extra_state: dict[str, Any],
    extra_before: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
) -> Station:
    """Record a change made through another area (e.g. equipment) as a new revision; the caller commits.

    `fields` sets station columns in the same revision (e.g. automation); `extra_state` is merged into
    the revision's state (e.g. {"equipment": [...]}) and `extra_before` is its value before the change.
    """
    station = _locked(session, principal, station_id)
    require_writer_of(principal, station.owner)
    before = snapshot(station) | (extra_before or {})
    for key, value in (fields or {}).items():
        setattr(station, key, value)
    station.revision += 1
    station.updated_at = datetime.now(UTC)
    _write_revision(session, station, principal, op, reason, before, snapshot(station) | extra_state)
    return station


def add_wigos_id(
    session: Session, *, principal: Principal, station_id: uuid.UUID, wsi: str, reason: str | None
) -> Station:
    """Give a station one more WIGOS identifier (primary when it had none), as a revision; the caller commits."""
    station = _locked(session, principal, station_id)
    require_writer_of(principal, station.owner)
    if station.status == "closed":
        raise StationClosed(f"station {station_id} is closed: it gets no new identifier", wsi=wsi)
    _check_wsis_free(session, [wsi], station.id)
    wsis = [*station.wigos_ids, wsi]
    queries.replace_wsis(session, station.id, wsis)
    carried = queries.select_carried_state(session, station.id, CARRIED_STATE_KEYS)
    return record_station_change(
        session, principal=principal, station_id=station_id, op="wigos_id", reason=reason,
        extra_state=carried, extra_before=carried, fields={"wigos_ids": wsis},
    )  # fmt: skip
