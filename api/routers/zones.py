"""Priority zones: create from a GeoJSON Feature, list, read, change (If-Match), delete, stations inside."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from api.deps import PagingDep, SessionDep, StaffDep, strict_query
from api.errors import problem_responses
from api.responses import GeoJSONResponse
from api.routers.stations import (
    GEOJSON,
    LIST_RESPONSES,
    ListDep,
    etag,
    next_url,
    page_response,
    parse_if_match,
    wants,
)
from domain.coverage import service as coverage_service
from domain.station.formats import geojson_page, json_page, utf8
from domain.zone import service
from domain.zone.models import Hazard, ZoneCategory, ZoneCreate, ZonePublic, ZoneUpdate

router = APIRouter(prefix="/zones", tags=["zones"], dependencies=[Depends(strict_query)])
ERRORS = problem_responses(400, 401, 403, 404)


def _feature(text: str, revision: int, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(text, status, media_type=GEOJSON, headers={"ETag": etag(revision)} | (headers or {}))


@router.get("", summary="List priority zones", responses=ERRORS | {200: {"content": {GEOJSON: {}}}})
def list_zones(
    request: Request, session: SessionDep, _principal: StaffDep, page: PagingDep,
    category: ZoneCategory | None = None, hazard: Hazard | None = None,
    geometry: Annotated[bool, Query(description="false leaves geometry out (null)")] = True,
    f: Annotated[Literal["json", "geojson"] | None, Query(description="json (items + next) or geojson")] = None,
) -> Response:  # fmt: skip
    result = service.list_zones(
        session,
        category=category,
        hazard=hazard,
        cursor=page.cursor,
        limit=page.limit,
        with_geometry=geometry,
    )
    nxt = next_url(request, result.next_cursor)
    if wants(request, f) == "geojson":
        return Response(geojson_page(utf8(result.items), nxt), media_type=GEOJSON)
    return Response(json_page(utf8(result.items), nxt), media_type="application/json")


@router.post(
    "",
    status_code=201,
    response_model=ZonePublic,
    response_class=GeoJSONResponse,
    responses=ERRORS | problem_responses(409, 422),
)
def create_zone(request: Request, session: SessionDep, principal: StaffDep, data: ZoneCreate) -> Response:
    zone = service.create_zone(session, principal=principal, data=data)
    text, revision = service.get_zone_json(session, zone_id=zone.code)
    location = str(request.url_for("get_zone", zone_id=zone.code))
    return _feature(text, revision, 201, {"Location": location})


@router.get("/{zone_id}", response_model=ZonePublic, response_class=GeoJSONResponse, responses=ERRORS)
def get_zone(session: SessionDep, _principal: StaffDep, zone_id: str) -> Response:
    return _feature(*service.get_zone_json(session, zone_id=zone_id))


@router.patch(
    "/{zone_id}",
    response_model=ZonePublic,
    response_class=GeoJSONResponse,
    responses=ERRORS | problem_responses(412, 422, 428),
)
def update_zone(
    session: SessionDep, principal: StaffDep, zone_id: str, data: ZoneUpdate,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:  # fmt: skip
    expected = parse_if_match(if_match)
    service.update_zone(session, principal=principal, zone_id=zone_id, data=data, if_match=expected)
    return _feature(*service.get_zone_json(session, zone_id=zone_id))


@router.delete("/{zone_id}", status_code=204, responses=ERRORS)
def delete_zone(session: SessionDep, principal: StaffDep, zone_id: str) -> Response:
    service.delete_zone(session, principal=principal, zone_id=zone_id)
    return Response(status_code=204)


@router.get("/{zone_id}/stations", summary="Stations inside a zone", responses=LIST_RESPONSES)
def zone_stations(
    request: Request, session: SessionDep, principal: StaffDep, zone_id: str, query: ListDep,
) -> Response:  # fmt: skip
    result = coverage_service.list_zone_stations(
        session, principal=principal, zone_id=zone_id, filters=query.filters, cursor=query.page.cursor,
        limit=query.page.limit, geojson=query.fmt == "geojson",
    )  # fmt: skip
    return page_response(request, result, query.fmt)
