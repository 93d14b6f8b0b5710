"""Change requests: the review queue of organizations under review (list, read, approve, reject, withdraw)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from api.deps import PagingDep, ReadSessionDep, SessionDep, StaffDep, strict_query
from api.errors import problem_responses
from domain.review import service
from domain.review.models import ChangeRequest, ChangeRequestPublic, ChangeStatus, Decision

router = APIRouter(prefix="/change-requests", tags=["review"], dependencies=[Depends(strict_query)])
ERRORS = problem_responses(400, 401, 403, 404)
ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {
        "model": ChangeRequestPublic,
        "description": "The caller's organization is under review: a change request was submitted "
        "(Location: the request); nothing is published until a reviewer approves it",
    }
}


class ChangeRequestPage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[ChangeRequestPublic]
    next: str | None


def public(request: ChangeRequest) -> ChangeRequestPublic:
    """Return a change request in the API's shape."""
    return ChangeRequestPublic.model_validate(request, from_attributes=True)


def accepted(request: Request, change: ChangeRequest) -> Response:
    """Return 202 Accepted with the change request as body and its URL as Location."""
    location = str(request.url_for("get_change_request", change_request_id=change.id))
    body = public(change).model_dump_json()
    return Response(body, 202, media_type="application/json", headers={"Location": location})


@router.get(
    "", response_model=ChangeRequestPage, responses=ERRORS, summary="List change requests, oldest first"
)
def list_change_requests(
    request: Request, session: ReadSessionDep, principal: StaffDep, page: PagingDep,
    status: Annotated[ChangeStatus | None, Query(description="submitted, approved, rejected, withdrawn, stale")] = None,
    organization: Annotated[str | None, Query(max_length=32)] = None,
    station_id: uuid.UUID | None = None,
) -> ChangeRequestPage:  # fmt: skip
    items, cursor = service.list_change_requests(
        session, principal=principal, status=status, organization=organization, station_id=station_id,
        cursor=page.cursor, limit=page.limit,
    )  # fmt: skip
    nxt = str(request.url.include_query_params(cursor=cursor)) if cursor else None
    return ChangeRequestPage(items=[public(i) for i in items], next=nxt)


@router.get("/{change_request_id}", response_model=ChangeRequestPublic, responses=ERRORS)
def get_change_request(
    session: ReadSessionDep, principal: StaffDep, change_request_id: uuid.UUID
) -> ChangeRequestPublic:
    return public(service.get_change_request(session, principal=principal, request_id=change_request_id))


@router.post(
    "/{change_request_id}/approve", response_model=ChangeRequestPublic,
    responses=ERRORS | problem_responses(409, 422), summary="Approve: publish the change (reviewers)",
)  # fmt: skip
def approve_change_request(
    session: SessionDep, principal: StaffDep, change_request_id: uuid.UUID,
    decision: Annotated[Decision | None, Body()] = None,
) -> ChangeRequestPublic:  # fmt: skip
    comment = decision.comment if decision else None
    approved = service.approve_change_request(
        session, principal=principal, request_id=change_request_id, comment=comment
    )
    return public(approved)


@router.post(
    "/{change_request_id}/reject", response_model=ChangeRequestPublic,
    responses=ERRORS | problem_responses(409, 422), summary="Reject with a comment (reviewers)",
)  # fmt: skip
def reject_change_request(
    session: SessionDep, principal: StaffDep, change_request_id: uuid.UUID,
    decision: Annotated[Decision | None, Body()] = None,
) -> ChangeRequestPublic:  # fmt: skip
    comment = decision.comment if decision else None
    rejected = service.reject_change_request(
        session, principal=principal, request_id=change_request_id, comment=comment
    )
    return public(rejected)


@router.delete(
    "/{change_request_id}", response_model=ChangeRequestPublic, responses=ERRORS | problem_responses(409),
    summary="Withdraw (the submitting organization's editors)",
)  # fmt: skip
def withdraw_change_request(
    session: SessionDep, principal: StaffDep, change_request_id: uuid.UUID
) -> ChangeRequestPublic:
    return public(service.withdraw_change_request(session, principal=principal, request_id=change_request_id))
