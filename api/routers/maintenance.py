"""Maintenance endpoints: records of an item, the due schedule (JSON or CSV), and the norms."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from api.deps import PagingDep, SessionDep, StaffDep, strict_query
from api.errors import problem_responses
from api.routers.stations import etag, next_url, parse_if_match
from domain.maintenance import service
from domain.maintenance.models import (
    DueFilter,
    NormCreate,
    NormPublic,
    NormUpdate,
    RecordCreate,
    RecordPublic,
)
from domain.maintenance.rules import MaintenanceAction
from domain.station.formats import json_page, utf8

router = APIRouter(tags=["maintenance"], dependencies=[Depends(strict_query)])
ERRORS = problem_responses(400, 401, 403, 404)
CSV = "text/csv; charset=utf-8"


@router.get("/equipment/{equipment_id}/maintenance", responses=ERRORS, summary="An item's records")
def list_records(
    request: Request, session: SessionDep, principal: StaffDep, equipment_id: uuid.UUID, page: PagingDep
) -> dict[str, list[RecordPublic] | str | None]:
    items, nxt = service.list_records(
        session, principal=principal, equipment_id=equipment_id, cursor=page.cursor, limit=page.limit
    )
    return {"items": items, "next": next_url(request, nxt)}


@router.post(
    "/equipment/{equipment_id}/maintenance",
    status_code=201,
    response_model=RecordPublic,
    responses=ERRORS | problem_responses(422),
    summary="Record a maintenance action (the station owner's editors and admins)",
)
def record_maintenance(
    session: SessionDep, principal: StaffDep, equipment_id: uuid.UUID, data: RecordCreate
) -> RecordPublic:
    record = service.record_maintenance(session, principal=principal, equipment_id=equipment_id, data=data)
    return RecordPublic.model_validate(record)


def due_filter(
    within_days: Annotated[int, Query(description="Also list actions due within this many days")] = 0,
    owner: Annotated[list[str], Query(description="owner organization code(s)")] = [],  # noqa: B006
    province: Annotated[list[str], Query(description="province code(s)")] = [],  # noqa: B006
    station_id: uuid.UUID | None = None,
) -> DueFilter:
    """Return the validated filters of the due schedule."""
    split = [v.strip() for raw in owner for v in raw.split(",") if v.strip()]
    provinces = [v.strip() for raw in province for v in raw.split(",") if v.strip()]
    return service.check_due_filter(
        DueFilter(within_days=within_days, owner=split, province=provinces, station_id=station_id)
    )


@router.get(
    "/maintenance/due",
    responses=ERRORS | {200: {"content": {"text/csv": {}}}},
    summary="Due and overdue maintenance actions, most overdue first (JSON, or CSV with f=csv)",
)
def list_due(
    request: Request, session: SessionDep, principal: StaffDep, page: PagingDep,
    filters: Annotated[DueFilter, Depends(due_filter)], f: Literal["json", "csv"] | None = None,
) -> Response:  # fmt: skip
    items, cursor = service.list_due(
        session, principal=principal, filters=filters, cursor=page.cursor, limit=page.limit
    )
    nxt = next_url(request, cursor)
    if f == "csv" or (f is None and "text/csv" in request.headers.get("accept", "")):
        headers = {"Link": f'<{nxt}>; rel="next"'} if nxt else {}
        return StreamingResponse(service.due_csv(items), media_type=CSV, headers=headers)
    return Response(json_page(utf8(items), nxt), media_type="application/json")


@router.get("/norms", responses=ERRORS, summary="Maintenance norms")
def list_norms(
    request: Request, session: SessionDep, principal: StaffDep, page: PagingDep,
    kind: str | None = None, action: MaintenanceAction | None = None,
) -> dict[str, list[NormPublic] | str | None]:  # fmt: skip
    del principal
    items, nxt = service.list_norms(session, kind=kind, action=action, cursor=page.cursor, limit=page.limit)
    return {"items": items, "next": next_url(request, nxt)}


@router.post(
    "/norms",
    status_code=201,
    response_model=NormPublic,
    responses=ERRORS | problem_responses(409, 422),
    summary="Add a maintenance norm (admins only)",
)
def create_norm(
    request: Request, response: Response, session: SessionDep, principal: StaffDep, data: NormCreate
) -> NormPublic:
    norm = NormPublic.model_validate(service.create_norm(session, principal=principal, data=data))
    response.headers["Location"] = str(request.url_for("get_norm", norm_id=norm.id))
    response.headers["ETag"] = etag(norm.revision)
    return norm


@router.get("/norms/{norm_id}", response_model=NormPublic, responses=ERRORS)
def get_norm(response: Response, session: SessionDep, principal: StaffDep, norm_id: int) -> NormPublic:
    del principal
    norm = NormPublic.model_validate(service.get_norm(session, norm_id=norm_id))
    response.headers["ETag"] = etag(norm.revision)
    return norm


@router.patch(
    "/norms/{norm_id}",
    response_model=NormPublic,
    responses=ERRORS | problem_responses(412, 422, 428),
    summary="Change a norm's interval, source or notes (admins only; If-Match required)",
)
def update_norm(
    response: Response, session: SessionDep, principal: StaffDep, norm_id: int, data: NormUpdate,
    if_match: Annotated[str | None, Header()] = None,
) -> NormPublic:  # fmt: skip
    expected = parse_if_match(if_match)
    norm = service.update_norm(session, principal=principal, norm_id=norm_id, data=data, if_match=expected)
    response.headers["ETag"] = etag(norm.revision)
    return NormPublic.model_validate(norm)


@router.delete("/norms/{norm_id}", status_code=204, responses=ERRORS, summary="Delete a norm (admins only)")
def delete_norm(session: SessionDep, principal: StaffDep, norm_id: int) -> Response:
    service.delete_norm(session, principal=principal, norm_id=norm_id)
    return Response(status_code=204)
