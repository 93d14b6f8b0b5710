"""Equipment endpoints: items at a station, one item (read, change or move, remove), the kind list."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Request, Response

from api.deps import PagingDep, SessionDep, StaffDep, strict_query
from api.errors import problem_responses
from api.routers.stations import etag, next_url, parse_if_match
from domain.equipment import service
from domain.equipment.models import (
    EquipmentCreate,
    EquipmentKindPublic,
    EquipmentPublic,
    EquipmentRemove,
    EquipmentUpdate,
)

router = APIRouter(tags=["equipment"], dependencies=[Depends(strict_query)])
ERRORS = problem_responses(400, 401, 403, 404)


def _item(response: Response, item: EquipmentPublic) -> EquipmentPublic:
    response.headers["ETag"] = etag(item.revision)
    return item


@router.get("/stations/{station_id}/equipment", responses=ERRORS, summary="List a station's equipment")
def list_station_equipment(
    request: Request, session: SessionDep, principal: StaffDep, station_id: uuid.UUID, page: PagingDep,
    include_removed: bool = False,
) -> dict[str, list[EquipmentPublic] | str | None]:  # fmt: skip
    items, nxt = service.list_station_equipment(
        session, principal=principal, station_id=station_id, include_removed=include_removed,
        cursor=page.cursor, limit=page.limit,
    )  # fmt: skip
    return {"items": items, "next": next_url(request, nxt)}


@router.post(
    "/stations/{station_id}/equipment",
    status_code=201,
    response_model=EquipmentPublic,
    responses=ERRORS | problem_responses(409, 422),
    summary="Install an equipment item at a station (a station revision)",
)
def install_equipment(
    request: Request, response: Response, session: SessionDep, principal: StaffDep, station_id: uuid.UUID,
    data: EquipmentCreate,
) -> EquipmentPublic:  # fmt: skip
    (item,) = service.install_equipment(session, principal=principal, station_id=station_id, items=[data])
    response.headers["Location"] = str(request.url_for("get_equipment", equipment_id=item.id))
    return _item(response, service.public(session, item))


@router.get("/equipment-kinds", summary="The equipment kind code list")
def list_equipment_kinds(session: SessionDep, principal: StaffDep) -> dict[str, list[EquipmentKindPublic]]:
    del principal
    return {"items": service.list_equipment_kinds(session)}


@router.get("/equipment/{equipment_id}", response_model=EquipmentPublic, responses=ERRORS)
def get_equipment(
    response: Response, session: SessionDep, principal: StaffDep, equipment_id: uuid.UUID
) -> EquipmentPublic:
    return _item(response, service.get_equipment(session, principal=principal, equipment_id=equipment_id))


@router.patch(
    "/equipment/{equipment_id}",
    response_model=EquipmentPublic,
    responses=ERRORS | problem_responses(409, 412, 422, 428),
    summary="Change an item, or move it to another station with station_id (If-Match required)",
)
def update_equipment(
    response: Response, session: SessionDep, principal: StaffDep, equipment_id: uuid.UUID,
    data: EquipmentUpdate, if_match: Annotated[str | None, Header()] = None,
) -> EquipmentPublic:  # fmt: skip
    expected = parse_if_match(if_match)
    item = service.update_equipment(
        session, principal=principal, equipment_id=equipment_id, data=data, if_match=expected
    )
    return _item(response, service.public(session, item))


@router.delete(
    "/equipment/{equipment_id}",
    response_model=EquipmentPublic,
    responses=ERRORS | problem_responses(422),
    summary="Remove an item (kept in the history, with its removal date)",
)
def remove_equipment(
    response: Response, session: SessionDep, principal: StaffDep, equipment_id: uuid.UUID,
    data: Annotated[EquipmentRemove | None, Body()] = None, reason: str | None = None,
) -> EquipmentPublic:  # fmt: skip
    body = data or EquipmentRemove(reason=reason)
    item = service.remove_equipment(session, principal=principal, equipment_id=equipment_id, data=body)
    return _item(response, service.public(session, item))
