"""Stations: register, list with filters, read, change (If-Match), close, history."""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import (
    PAGE_QUERY,
    Paging,
    PagingDep,
    ReadSessionDep,
    SessionDep,
    StaffDep,
    read_paging,
    strict_query,
)
from api.errors import problem_responses
from api.query import QueryModel, reads_query
from api.responses import FEATURE_SCHEMA
from api.routers.change_requests import ACCEPTED, accepted
from domain.errors import InvalidQuery, PreconditionFailed, PreconditionRequired, RuleViolation
from domain.review import submit
from domain.review.models import ChangeRequest
from domain.station import reads
from domain.station.enums import Automation, DataPolicy, Network, StationStatus, StationType
from domain.station.filters import (
    StationFilter,
    parse_bbox,
    parse_enum_list,
    parse_near,
    parse_station_cql,
    split_list,
)
from domain.station.formats import csv_lines, geojson_page, json_page
from domain.station.models import RevisionPublic, StationClose, StationCreate, StationPublic, StationUpdate

router = APIRouter(prefix="/stations", tags=["stations"], dependencies=[Depends(strict_query)])
ERRORS = problem_responses(400, 401, 403, 404)
GEOJSON = "application/geo+json"
ETAG_RE = re.compile(r'^(?:W/)?"r(\d+)"$')
Format = Literal["json", "geojson", "csv"]


class StationQuery(BaseModel):
    """The filters of a station list, as the query string gives them."""

    model_config = ConfigDict(extra="ignore")

    bbox: str | None = Field(None, description="minLon,minLat,maxLon,maxLat")
    near: str | None = Field(None, description="lon,lat (with radius_km)")
    radius_km: float | None = None
    zone: str | None = None
    zone_category: str | None = None
    network: list[str] = []
    type: list[str] = Field([], description="station type(s), comma-separated")
    automation: list[str] = []
    status: list[str] = []
    data_policy: list[str] = []
    owner: list[str] = []
    province: list[str] = []
    wigos_id: str | None = None
    q: str | None = Field(None, max_length=200, description="name or code, diacritics-insensitive")
    updated_since: datetime | None = None
    completeness_below: int | None = Field(
        None, ge=1, le=100, description="WIGOS completeness score under this (1-100; 100 = incomplete ones)"
    )
    filter: str | None = Field(
        None, description="CQL2 filter (queryables: /ogc/collections/stations/queryables)"
    )
    filter_lang: str | None = Field(None, alias="filter-lang", description="cql2-text (default) or cql2-json")
    filter_crs: str | None = Field(None, alias="filter-crs", description="CRS of the filter's geometries")


STATION_QUERY = QueryModel(StationQuery)


def read_station_filter(request: Request) -> StationFilter:
    """Return the validated filters of a station list from a request's query string."""
    q = STATION_QUERY.read(request)
    near_point, radius = parse_near(q.near, q.radius_km) if q.near else (None, None)
    return StationFilter(
        bbox=parse_bbox(q.bbox) if q.bbox else None, near=near_point, radius_km=radius, zone=q.zone,
        zone_category=q.zone_category, network=parse_enum_list(q.network, Network, "network"),
        station_type=parse_enum_list(q.type, StationType, "type"),
        automation=parse_enum_list(q.automation, Automation, "automation"),
        status=parse_enum_list(q.status, StationStatus, "status"),
        data_policy=parse_enum_list(q.data_policy, DataPolicy, "data_policy"), owner=split_list(q.owner),
        province=split_list(q.province), wigos_id=q.wigos_id, q=q.q, updated_since=q.updated_since,
        completeness_below=q.completeness_below,
        cql=parse_station_cql(q.filter, lang=q.filter_lang, crs=q.filter_crs),
    )  # fmt: skip


def wants(request: Request, f: Format | None) -> Format:
    """Return the output format from f= or the Accept header."""
    if f:
        return f
    accept = request.headers.get("accept", "")
    return "geojson" if GEOJSON in accept else "csv" if "text/csv" in accept else "json"


class FormatQuery(BaseModel):
    f: Format | None = Field(None, description="Output format (else chosen by the Accept header)")


FORMAT_QUERY = QueryModel(FormatQuery)


@reads_query(FORMAT_QUERY)
async def output_format(request: Request) -> Format:
    """Return the output format asked for with f= or the Accept header."""
    return wants(request, FORMAT_QUERY.read(request).f)


FormatDep = Annotated[Format, Depends(output_format)]


@dataclass(frozen=True)
class ListRequest:
    filters: StationFilter
    page: Paging
    fmt: Format


@reads_query(STATION_QUERY, PAGE_QUERY, FORMAT_QUERY)
async def list_request(request: Request) -> ListRequest:
    """Return a station list's filters, page and format.

    One dependency rather than three: FastAPI's dependency tree costs tens of microseconds a node on
    every request, and the station list is the hottest route (bench/RESULTS.md).
    """
    fmt = wants(request, FORMAT_QUERY.read(request).f)
    return ListRequest(read_station_filter(request), read_paging(request), fmt)


ListDep = Annotated[ListRequest, Depends(list_request)]


def next_url(request: Request, cursor: str | None) -> str | None:
    """Return this request's URL with the next cursor, or None on the last page."""
    return str(request.url.include_query_params(cursor=cursor)) if cursor else None


def etag(revision: int) -> str:
    return f'"r{revision}"'


def parse_if_match(value: str | None) -> int:
    """Return the revision an If-Match header names; 428 when missing, 412 when unusable."""
    if not value:
        raise PreconditionRequired("send If-Match with the ETag of the station you read")
    match = ETAG_RE.match(value.strip())
    if match is None:
        raise PreconditionFailed(f"If-Match {value} does not match the current ETag")
    return int(match[1])


LIST_RESPONSES = ERRORS | {200: {"content": {GEOJSON: {}, "text/csv": {}}}}


@router.get("", summary="List stations", responses=LIST_RESPONSES)
def list_stations(request: Request, session: ReadSessionDep, principal: StaffDep, query: ListDep) -> Response:
    result = reads.list_stations(
        session,
        principal=principal,
        filters=query.filters,
        cursor=query.page.cursor,
        limit=query.page.limit,
        geojson=query.fmt == "geojson",
    )
    return page_response(request, result, query.fmt)


def page_response(request: Request, result: reads.JsonPage, fmt: Format) -> Response:
    """Return a page of stations in the asked format, with its next link."""
    nxt = next_url(request, result.next_cursor)
    if fmt == "csv":
        headers = {"Link": f'<{nxt}>; rel="next"'} if nxt else {}
        return StreamingResponse(
            csv_lines(result.items), media_type="text/csv; charset=utf-8", headers=headers
        )
    if fmt == "geojson":
        return Response(geojson_page(result.items, nxt), media_type=GEOJSON)
    return Response(json_page(result.items, nxt), media_type="application/json")


@router.post(
    "",
    status_code=201,
    response_model=StationPublic,
    responses=ERRORS | problem_responses(409, 422) | ACCEPTED,
)
def register_station(
    request: Request, session: SessionDep, principal: StaffDep, data: StationCreate
) -> Response:
    station = submit.register_station(session, principal=principal, data=data)
    if isinstance(station, ChangeRequest):
        return accepted(request, station)
    text, revision = reads.get_station_json(session, principal=principal, station_id=station.id)
    location = str(request.url_for("get_station", station_id=station.id))
    return Response(
        text, 201, media_type="application/json", headers={"ETag": etag(revision), "Location": location}
    )


@router.get(
    "/{station_id}",
    response_model=StationPublic,
    responses=ERRORS | {200: {"content": {GEOJSON: {"schema": FEATURE_SCHEMA}}}},
)
def get_station(
    session: ReadSessionDep, principal: StaffDep, station_id: uuid.UUID, fmt: FormatDep,
    as_of: Annotated[datetime | None, Query(description="Return the state at this time")] = None,
) -> Response:  # fmt: skip
    if as_of is not None:
        state = reads.station_as_of(session, principal=principal, station_id=station_id, at=as_of)
        return Response(orjson.dumps(state), media_type="application/json")
    geo = fmt == "geojson"
    text, revision = reads.get_station_json(session, principal=principal, station_id=station_id, geojson=geo)
    return Response(text, media_type=GEOJSON if geo else "application/json", headers={"ETag": etag(revision)})


@router.patch(
    "/{station_id}",
    response_model=StationPublic,
    responses=ERRORS | problem_responses(409, 412, 428) | ACCEPTED,
)
def update_station(
    request: Request, session: SessionDep, principal: StaffDep, station_id: uuid.UUID, data: StationUpdate,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:  # fmt: skip
    expected = parse_if_match(if_match)
    done = submit.update_station(
        session, principal=principal, station_id=station_id, data=data, if_match=expected
    )
    if isinstance(done, ChangeRequest):
        return accepted(request, done)
    text, revision = reads.get_station_json(session, principal=principal, station_id=station_id)
    return Response(text, media_type="application/json", headers={"ETag": etag(revision)})


@router.delete("/{station_id}", response_model=StationPublic, responses=ERRORS | ACCEPTED)
def close_station(
    request: Request, session: SessionDep, principal: StaffDep, station_id: uuid.UUID,
    data: Annotated[StationClose | None, Body()] = None, reason: str | None = None,
) -> Response:  # fmt: skip
    body = data or close_by_query(reason)
    done = submit.close_station(session, principal=principal, station_id=station_id, data=body)
    if isinstance(done, ChangeRequest):
        return accepted(request, done)
    text, revision = reads.get_station_json(session, principal=principal, station_id=station_id)
    return Response(text, media_type="application/json", headers={"ETag": etag(revision)})


@router.get("/{station_id}/history", responses=ERRORS)
def station_history(
    request: Request, session: SessionDep, principal: StaffDep, station_id: uuid.UUID, page: PagingDep
) -> dict[str, list[RevisionPublic] | str | None]:
    if page.cursor and not page.cursor.isdigit():
        raise InvalidQuery("cursor is not one this service gave out", parameter="cursor")
    after = int(page.cursor) if page.cursor else 0
    items, nxt = reads.station_history(
        session, principal=principal, station_id=station_id, after=after, limit=page.limit
    )
    return {"items": items, "next": next_url(request, str(nxt) if nxt else None)}


def close_by_query(reason: str | None) -> StationClose:
    """Return the close request given as ?reason= (for clients that send no body with DELETE)."""
    if not reason or not reason.strip():
        raise RuleViolation(
            "closing a station needs a reason (body {'reason': ...} or ?reason=)", pointer="#/reason"
        )
    return StationClose(reason=reason.strip())
