"""WIGOS: the issue-number register (admins), issuing identifiers to stations, completeness."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query

from api.deps import ReadSessionDep, SessionDep, StaffDep, strict_query
from api.errors import problem_responses
from domain.wigos import service
from domain.wigos.models import (
    CompletenessSummary,
    IssueNumberCreate,
    IssueNumberPublic,
    StationCompleteness,
    WigosIdIssued,
    WigosIdRequest,
)

router = APIRouter(tags=["wigos"], dependencies=[Depends(strict_query)])
ERRORS = problem_responses(400, 401, 403, 404, 409, 422)
Codes = Annotated[list[str], Query(description="code(s), comma-separated or repeated")]


def _split(values: list[str]) -> list[str]:
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


@router.get("/wigos/issue-numbers", response_model=list[IssueNumberPublic], responses=ERRORS)
def list_issue_numbers(
    session: ReadSessionDep, principal: StaffDep, organization: str | None = None
) -> list[IssueNumberPublic]:
    return service.list_issue_numbers(session, principal=principal, organization=organization)


@router.post("/wigos/issue-numbers", status_code=201, response_model=IssueNumberPublic, responses=ERRORS)
def assign_issue_number(
    session: SessionDep, principal: StaffDep, data: IssueNumberCreate
) -> IssueNumberPublic:
    return service.assign_issue_number(session, principal=principal, data=data)


@router.delete("/wigos/issue-numbers/{number}", response_model=IssueNumberPublic, responses=ERRORS)
def retire_issue_number(session: SessionDep, principal: StaffDep, number: int) -> IssueNumberPublic:
    return service.retire_issue_number(session, principal=principal, number=number)


@router.post(
    "/stations/{station_id}/wigos-ids", status_code=201, response_model=WigosIdIssued, responses=ERRORS
)
def issue_wigos_id(
    session: SessionDep, principal: StaffDep, station_id: uuid.UUID,
    data: Annotated[WigosIdRequest | None, Body()] = None,
) -> WigosIdIssued:  # fmt: skip
    request = data or WigosIdRequest()
    return service.issue_wigos_id(session, principal=principal, station_id=station_id, data=request)


@router.get("/stations/{station_id}/completeness", response_model=StationCompleteness, responses=ERRORS)
def station_completeness(
    session: ReadSessionDep, principal: StaffDep, station_id: uuid.UUID
) -> StationCompleteness:
    return service.station_completeness(session, principal=principal, station_id=station_id)


@router.get("/completeness", response_model=CompletenessSummary, responses=ERRORS)
def completeness_summary(
    session: ReadSessionDep, principal: StaffDep, owner: Codes = [], province: Codes = [],  # noqa: B006
    network: Codes = [], limit: Annotated[int, Query(ge=1, le=service.MAX_BLOCKING)] = 100,  # noqa: B006
) -> CompletenessSummary:  # fmt: skip
    return service.completeness_summary(
        session, principal=principal, owner=_split(owner), province=_split(province),
        network=_split(network), limit=limit,
    )  # fmt: skip
