"""Station changes from any editor: published at once, or submitted as a change request for review.

These are the registry's entry points for station writes; each either calls the station (or import)
service that writes the revision, or records a change request checked the same way, writing nothing.
"""

import uuid
from typing import Any

from sqlmodel import Session

from domain.access.models import Principal
from domain.access.service import needs_review
from domain.imports import service as imports
from domain.imports.rules import ImportReport, Upload
from domain.review import queries
from domain.review.models import ChangeKind, ChangeRequest, ChangeStatus
from domain.review.rules import field_diff
from domain.station import service as stations
from domain.station.models import Station, StationClose, StationCreate, StationUpdate


def _request(
    principal: Principal, kind: ChangeKind, payload: dict[str, Any], diff: list[dict[str, Any]], **extra: Any
) -> ChangeRequest:
    return ChangeRequest(
        kind=kind, status=ChangeStatus.submitted, organization=str(principal.organization),
        submitted_by=principal.actor, submitter_role=str(principal.role), submitter_key_id=principal.key_id,
        payload=payload, diff=diff, **extra,
    )  # fmt: skip


def _submit(session: Session, request: ChangeRequest) -> ChangeRequest:
    queries.insert_request(session, request)
    session.commit()
    return request


def register_station(
    session: Session, *, principal: Principal, data: StationCreate
) -> Station | ChangeRequest:
    """Register a station, or submit its registration when the caller's organization is under review."""
    if not needs_review(session, principal=principal):
        return stations.register_station(session, principal=principal, data=data)
    state = stations.check_registration(session, principal=principal, data=data)
    payload = data.model_dump(mode="json") | {"owner": state["owner"]}
    request = _request(
        principal, ChangeKind.create, payload, field_diff(None, state), station_id=uuid.UUID(state["id"])
    )
    return _submit(session, request)


def update_station(
    session: Session, *, principal: Principal, station_id: uuid.UUID, data: StationUpdate, if_match: int
) -> Station | ChangeRequest | None:
    """Change a station, or submit the change (made against revision `if_match`) for review.

    None when the organization is under review and the change would change nothing (no request).
    """
    if not needs_review(session, principal=principal):
        return stations.update_station(
            session, principal=principal, station_id=station_id, data=data, if_match=if_match
        )
    before, changes = stations.check_update(
        session, principal=principal, station_id=station_id, data=data, if_match=if_match
    )
    payload = data.model_dump(mode="json", exclude_unset=True)
    diff = field_diff(before, changes)
    if not diff:
        return None
    request = _request(
        principal, ChangeKind.update, payload, diff, station_id=station_id, base_revision=before["revision"]
    )
    return _submit(session, request)


def close_station(
    session: Session, *, principal: Principal, station_id: uuid.UUID, data: StationClose
) -> Station | ChangeRequest:
    """Close a station, or submit its closure for review."""
    if not needs_review(session, principal=principal):
        return stations.close_station(session, principal=principal, station_id=station_id, data=data)
    before = stations.check_close(session, principal=principal, station_id=station_id, data=data)
    after = {
        "status": "closed", "closed_date": data.closed_date.isoformat() if data.closed_date else None,
        "close_reason": data.reason, "successor_id": str(data.successor_id) if data.successor_id else None,
    }  # fmt: skip
    diff = field_diff(before, {k: v for k, v in after.items() if v is not None or before.get(k) is not None})
    payload = data.model_dump(mode="json")
    request = _request(
        principal, ChangeKind.close, payload, diff, station_id=station_id, base_revision=before["revision"]
    )
    return _submit(session, request)


def import_stations(
    session: Session, *, principal: Principal, upload: Upload, dry_run: bool, default_owner: str | None,
    progress: imports.Progress | None = None,
) -> ImportReport | ChangeRequest:  # fmt: skip
    """Import a station list, or check it and submit it for review (when it would change anything)."""
    reviewed = not dry_run and needs_review(session, principal=principal)
    report = imports.import_stations(
        session, principal=principal, upload=upload, dry_run=dry_run or reviewed,
        default_owner=default_owner, progress=progress, keep_plan=reviewed,
    )  # fmt: skip
    if not reviewed or report.created + report.updated == 0:
        report.dry_run = dry_run
        return report
    payload = {"filename": upload.filename, "media_type": upload.media_type, "default_owner": default_owner}
    summary = report.as_dict() | {
        "dry_run": False,
        "rows": report.rows,
        "base_revisions": report.base_revisions,
    }
    request = _request(principal, ChangeKind.import_, payload, [], report=summary, upload=upload.data)
    return _submit(session, request)
