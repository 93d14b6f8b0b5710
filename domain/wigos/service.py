"""WIGOS use cases: the issue-number register, issuing identifiers to stations, completeness."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.access.rules import require_role, require_writer_of
from domain.access.service import OrganizationNotFound, get_organization
from domain.errors import RuleViolation
from domain.station import reads
from domain.station import service as stations
from domain.wigos import queries
from domain.wigos.elements import ELEMENT_BY_KEY, ELEMENTS, score
from domain.wigos.models import (
    BlockingStation,
    CompletenessSummary,
    ElementCount,
    IssueNumberCreate,
    IssueNumberPublic,
    MissingElement,
    ScoreBucket,
    StationCompleteness,
    WigosIdIssued,
    WigosIdRequest,
    WigosIssuedId,
    WigosIssueNumber,
)
from domain.wigos.rules import (
    FIRST_LOCAL,
    ISSUER_VIET_NAM,
    IssueNumberExhausted,
    IssueNumberNotFound,
    IssueNumberRetired,
    IssueNumberTaken,
    WigosIdAlreadyIssued,
    block_of,
    check_may_add,
    choose_issue_number,
    compose_wsi,
    parse_wsi,
)

MAX_BLOCKING = 1000


def _public(entry: WigosIssueNumber, issued: int) -> IssueNumberPublic:
    return IssueNumberPublic(
        issuer=ISSUER_VIET_NAM, block=block_of(entry.number), issued=issued,
        **entry.model_dump(exclude={"next_local"}),
    )  # fmt: skip


def assign_issue_number(
    session: Session, *, principal: Principal, data: IssueNumberCreate
) -> IssueNumberPublic:
    """Assign an issue number under issuer 704 to an organization; a number is assigned once, ever."""
    require_role(principal, Role.admin)
    try:
        get_organization(session, code=data.organization)
    except OrganizationNotFound:
        raise RuleViolation(
            f"organization '{data.organization}' is not registered", pointer="#/organization"
        ) from None
    if queries.select_issue_number(session, data.number) is not None:
        raise IssueNumberTaken(f"issue number {data.number} is already in the register", number=data.number)
    entry = WigosIssueNumber(**data.model_dump(), assigned_by=principal.actor, next_local=FIRST_LOCAL)
    try:
        queries.insert_issue_number(session, entry)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise IssueNumberTaken(
            f"issue number {data.number} is already in the register", number=data.number
        ) from None
    return _public(entry, 0)


def list_issue_numbers(
    session: Session, *, principal: Principal, organization: str | None = None
) -> list[IssueNumberPublic]:
    """Return the register: who holds which issue number, since when, for which network."""
    require_role(principal, Role.admin)
    return [_public(entry, issued) for entry, issued in queries.select_register(session, organization)]


def retire_issue_number(session: Session, *, principal: Principal, number: int) -> IssueNumberPublic:
    """Retire an issue number: nothing more is issued in it, and it is never reassigned."""
    require_role(principal, Role.admin)
    entry = queries.select_issue_number(session, number, lock=True)
    if entry is None:
        raise IssueNumberNotFound(f"issue number {number} is not in the register", number=number)
    if entry.retired_at is None:
        entry.retired_at, entry.retired_by = datetime.now(UTC), principal.actor
        session.add(entry)
        session.commit()
    issued = {e.number: n for e, n in queries.select_register(session, entry.organization)}
    return _public(entry, issued.get(number, 0))


def _station_owner(session: Session, principal: Principal, station_id: uuid.UUID) -> str:
    """Return the owner of a station the principal may see and change (StationNotFound when hidden)."""
    text, _revision = reads.get_station_json(session, principal=principal, station_id=station_id)
    owner = str(json.loads(text)["owner"])
    require_writer_of(principal, owner)
    return owner


def _requested(session: Session, principal: Principal, wsi: str) -> tuple[str, int | None]:
    """Check a requested identifier may be added by the principal; lock its block. Return (wsi, issue number)."""
    parts = parse_wsi(wsi)
    entry = None
    if parts.issuer == ISSUER_VIET_NAM:
        entry = queries.select_issue_number(session, parts.issue_number, lock=True)
        if entry is not None and entry.retired_at is not None:
            raise IssueNumberRetired(f"issue number {entry.number} is retired", issue_number=entry.number)
    holder = entry.organization if entry is not None else None
    check_may_add(
        admin=principal.role is Role.admin, organization=principal.organization, wsi=parts, holder=holder
    )
    if queries.select_issued(session, wsi) is not None:
        raise WigosIdAlreadyIssued(f"{wsi} was issued already; an identifier is never issued twice", wsi=wsi)
    return wsi, entry.number if entry is not None else None


def _next_in_block(session: Session, owner: str, requested: int | None) -> tuple[str, int]:
    """Return the next free identifier in one of the owner's issue numbers, holding its block's lock."""
    number = choose_issue_number(owner, queries.select_active_numbers(session, owner), requested)
    entry = queries.select_issue_number(session, number, lock=True)  # concurrent issuers queue here
    if entry is None or entry.retired_at is not None:
        raise IssueNumberRetired(f"issue number {number} is retired", issue_number=number)
    local = queries.next_free_local(session, number, entry.next_local)
    if local is None:
        raise IssueNumberExhausted(f"no free local identifier near {entry.next_local} in {block_of(number)}")
    entry.next_local = local + 1
    session.add(entry)
    return compose_wsi(number, local), number


def issue_wigos_id(
    session: Session, *, principal: Principal, station_id: uuid.UUID, data: WigosIdRequest
) -> WigosIdIssued:
    """Issue the next free identifier in the owner's issue number (or check a requested one) to a station."""
    require_role(principal, Role.admin, Role.editor)
    if data.wsi is not None and data.issue_number is not None:
        raise RuleViolation("give either wsi or issue_number, not both", pointer="#/wsi")
    owner = _station_owner(session, principal, station_id)
    if data.wsi is not None:
        wsi, number = _requested(session, principal, data.wsi)
    else:
        wsi, number = _next_in_block(session, owner, data.issue_number)
    entry = WigosIssuedId(
        wsi=wsi, issue_number=number, station_id=station_id, issued_at=datetime.now(UTC),
        issued_by=principal.actor, organization=principal.organization,
    )  # fmt: skip
    try:
        queries.insert_issued(session, entry)
        station = stations.add_wigos_id(
            session,
            principal=principal,
            station_id=station_id,
            wsi=wsi,
            reason=data.reason or f"issued {wsi}",
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise WigosIdAlreadyIssued(f"{wsi} was issued meanwhile by another request", wsi=wsi) from None
    except BaseException:
        session.rollback()
        raise
    return WigosIdIssued(
        wsi=wsi, station_id=station_id, primary=station.wigos_ids[0] == wsi, issue_number=number,
        issued_at=entry.issued_at, issued_by=entry.issued_by, wigos_ids=list(station.wigos_ids),
        revision=station.revision,
    )  # fmt: skip


def station_completeness(
    session: Session, *, principal: Principal, station_id: uuid.UUID
) -> StationCompleteness:
    """Return a visible station's WIGOS completeness: score 0-100 and the missing elements with hints."""
    require_role(principal, Role.admin, Role.editor, Role.viewer)
    kind, who = visibility(principal)
    found = queries.select_station_completeness(session, station_id, kind, who)
    if found is None:
        raise stations.StationNotFound(f"no station {station_id}", station_id=str(station_id))
    present, missing = found
    return StationCompleteness(
        station_id=station_id, score=score(present), elements=len(ELEMENTS), present=present,
        oscar_ready=not missing, missing=[describe(key) for key in missing],
    )  # fmt: skip


def describe(key: str) -> MissingElement:
    """Return a missing element as the API shows it: key, WMO-No. 1192 number, name and hint."""
    element = ELEMENT_BY_KEY[key]
    return MissingElement(element=element.key, number=element.number, name=element.name, hint=element.hint)


def visibility(principal: Principal) -> tuple[str, dict[str, Any]]:
    """Return which stations a principal sees (the station context's rule): all, open or own, open."""
    if principal.role is Role.admin:
        return "all", {}
    if principal.role in (Role.editor, Role.viewer) and principal.organization:
        return "open_or_own", {"org": principal.organization}
    return "open", {}


def completeness_summary(
    session: Session,
    *,
    principal: Principal,
    owner: list[str],
    province: list[str],
    network: list[str],
    limit: int,
) -> CompletenessSummary:
    """Return the completeness distribution of the visible stations matching, and those that block OSCAR."""
    require_role(principal, Role.admin, Role.editor, Role.viewer)
    kind, who = visibility(principal)
    filters = {"owner": owner or None, "province": province or None, "network": network or None}
    total, buckets, missing, blocking, first = queries.select_completeness_summary(
        session, kind, who, filters, min(limit, MAX_BLOCKING)
    )
    for station in first:
        station["missing"] = [f"{ELEMENT_BY_KEY[k].number} {k}" for k in station["missing"]]
    return CompletenessSummary(
        stations=total, oscar_ready=total - blocking, blocking=blocking,
        distribution=[
            ScoreBucket(low=b, high=min(b + 9, 100), stations=buckets.get(str(b), 0)) for b in range(0, 101, 10)
        ],
        missing_by_element=[
            ElementCount(**describe(e.key).model_dump(), stations=missing.get(e.key, 0)) for e in ELEMENTS
        ],
        blocking_stations=[BlockingStation.model_validate(station) for station in first],
    )  # fmt: skip
