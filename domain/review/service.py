"""Review use cases: read change requests, approve (apply as revisions), reject, withdraw; the queue."""

import logging
import uuid
from datetime import UTC, datetime

from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.access.rules import require_role
from domain.errors import Conflict, NotFound, PreconditionFailed
from domain.imports import service as imports
from domain.imports.rules import ImportApproval, ImportRejected, Upload
from domain.review import queries
from domain.review.models import ChangeKind, ChangeRequest, ChangeStatus, QueueState
from domain.review.rules import (
    StaleChangeRequest,
    check_comment,
    check_not_own,
    check_submitted,
    check_withdrawer,
    decode_cursor,
    encode_cursor,
)
from domain.station import service as stations
from domain.station.models import StationClose, StationCreate, StationUpdate

log = logging.getLogger(__name__)
# What the registry did meanwhile that makes a request no longer apply as it was made.
STALE_ERRORS = (PreconditionFailed, Conflict, ImportRejected)


class ChangeRequestNotFound(NotFound):
    code = "change-request-not-found"
    title = "Change request not found"


def _visible(principal: Principal, request: ChangeRequest | None, request_id: uuid.UUID) -> ChangeRequest:
    if request is None or not (
        principal.has_national_powers or principal.organization == request.organization
    ):
        raise ChangeRequestNotFound(f"no change request {request_id}", change_request_id=str(request_id))
    return request


def get_change_request(session: Session, *, principal: Principal, request_id: uuid.UUID) -> ChangeRequest:
    """Return a request its organization, a reviewer or an admin may see, or raise ChangeRequestNotFound."""
    return _visible(principal, queries.select_request(session, request_id), request_id)


def list_change_requests(
    session: Session,
    *,
    principal: Principal,
    status: ChangeStatus | None,
    organization: str | None,
    station_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ChangeRequest], str | None]:
    """Return a page of requests, oldest first: all for reviewers and admins, else the caller's organization's."""
    if not principal.has_national_powers:
        if organization not in (None, principal.organization):
            return [], None
        organization = principal.organization
    rows = queries.select_requests(
        session, status=status, organization=organization, station_id=station_id,
        after=decode_cursor(cursor) if cursor else None, limit=limit,
    )  # fmt: skip
    items = rows[:limit]
    more = len(rows) > limit and items
    return items, encode_cursor(items[-1].submitted_at, str(items[-1].id)) if more else None


def _locked_for_decision(session: Session, principal: Principal, request_id: uuid.UUID) -> ChangeRequest:
    request = _visible(principal, queries.select_request(session, request_id, lock=True), request_id)
    check_submitted(request.status, str(request_id))
    return request


def _decide(request: ChangeRequest, principal: Principal, status: ChangeStatus, comment: str | None) -> None:
    request.status, request.comment = status, comment
    request.decided_by, request.decided_at = principal.actor, datetime.now(UTC)


def approve_change_request(
    session: Session, *, principal: Principal, request_id: uuid.UUID, comment: str | None
) -> ChangeRequest:
    """Apply a submitted request in one transaction, as revisions naming its submitter and approver.

    Raises StaleChangeRequest (and marks the request `stale`) when the station changed since its base.
    """
    require_role(principal, Role.admin, Role.reviewer)
    request = _locked_for_decision(session, principal, request_id)
    check_not_own(principal, request.organization)
    _decide(request, principal, ChangeStatus.approved, comment)
    try:
        _apply(session, request, approver=principal.actor)  # ends in the station or import service's commit
        session.commit()  # a change that turned out to change nothing commits only the decision
    except STALE_ERRORS as exc:
        session.rollback()
        _mark_stale(session, principal, request_id, exc.detail)
        raise StaleChangeRequest(
            f"change request {request_id} no longer applies: {exc.detail}", cause=exc.code
        ) from exc
    return request


def _mark_stale(session: Session, principal: Principal, request_id: uuid.UUID, why: str) -> None:
    request = _locked_for_decision(session, principal, request_id)
    _decide(request, principal, ChangeStatus.stale, f"stale: {why}")
    session.commit()
    log.info("change request %s is stale: %s", request_id, why)


def _submitter(request: ChangeRequest) -> Principal:
    return Principal(
        organization=request.organization, role=Role(request.submitter_role), key_id=request.submitter_key_id
    )


def _apply(session: Session, request: ChangeRequest, *, approver: str) -> None:
    who, body = _submitter(request), request.payload
    if request.kind == ChangeKind.create:
        stations.register_station(
            session, principal=who, data=StationCreate.model_validate(body), approved_by=approver,
            station_id=request.station_id,
        )  # fmt: skip
    elif request.kind == ChangeKind.update:
        assert request.station_id is not None and request.base_revision is not None
        stations.update_station(
            session, principal=who, station_id=request.station_id, data=StationUpdate.model_validate(body),
            if_match=request.base_revision, approved_by=approver,
        )  # fmt: skip
    elif request.kind == ChangeKind.close:
        assert request.station_id is not None and request.base_revision is not None
        stations.close_station(
            session, principal=who, station_id=request.station_id, data=StationClose.model_validate(body),
            if_match=request.base_revision, approved_by=approver,
        )  # fmt: skip
    else:
        _apply_import(session, request, who, approver)


def _apply_import(session: Session, request: ChangeRequest, who: Principal, approver: str) -> None:
    report = request.report or {}
    upload = Upload(request.upload or b"", request.payload.get("media_type"), request.payload.get("filename"))
    approval = ImportApproval(approver, dict(report.get("base_revisions", {})))
    done = imports.import_stations(
        session, principal=who, upload=upload, dry_run=False,
        default_owner=request.payload.get("default_owner"), approval=approval,
    )  # fmt: skip
    log.info("change request %s imported: %s created, %s updated", request.id, done.created, done.updated)


def reject_change_request(
    session: Session, *, principal: Principal, request_id: uuid.UUID, comment: str | None
) -> ChangeRequest:
    """Reject a submitted request with a comment; nothing of it is published."""
    require_role(principal, Role.admin, Role.reviewer)
    why = check_comment(comment)
    request = _locked_for_decision(session, principal, request_id)
    check_not_own(principal, request.organization)
    _decide(request, principal, ChangeStatus.rejected, why)
    session.commit()
    return request


def withdraw_change_request(
    session: Session, *, principal: Principal, request_id: uuid.UUID
) -> ChangeRequest:
    """Withdraw a submitted request (its organization's editors only)."""
    request = _visible(principal, queries.select_request(session, request_id, lock=True), request_id)
    check_withdrawer(principal, request.organization)
    check_submitted(request.status, str(request_id))
    _decide(request, principal, ChangeStatus.withdrawn, None)
    session.commit()
    return request


def queue_state(session: Session) -> QueueState:
    """Return how many requests wait for a decision and how long the oldest has waited (seconds)."""
    count, oldest, now = queries.select_queue(session)
    return QueueState(
        submitted=count, oldest_age_s=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    )
