"""Partner data sharing under /share/v1: the partner's view, its change feed, agreements and usage.

Agreements are managed here by admins (PUT/GET/DELETE /share/v1/agreements/{organization_id}).
Every request is rate-limited per key (429 with Retry-After) and counted per partner per day.
"""

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from api.deps import (
    OptionalPrincipalDep,
    PrimarySessionDep,
    PrincipalDep,
    ReadSessionDep,
    SessionDep,
    SettingsDep,
    strict_query,
)
from api.errors import problem_responses
from domain.access.models import Principal
from domain.errors import InvalidQuery
from domain.sharing import feed, service
from domain.sharing.models import ShareGrantPublic, ShareGrantWrite, UsagePublic
from domain.sharing.rules import etag_matches, etag_of
from domain.station.filters import parse_station_cql

GEOJSON = "application/geo+json"
XML = "application/xml"
ERRORS = problem_responses(400, 401, 403, 404, 429)
MEDIA = {"geojson": GEOJSON, "json": "application/json", "csv": "text/csv; charset=utf-8", "wmdr": XML}


def admit(request: Request, session: Session, principal: Principal) -> None:
    """Apply the per-key (or per-address) rate limit and count the partner's request: one statement on the primary."""
    client = request.client.host if request.client else "unknown"
    identity = f"key:{principal.key_id}" if principal.key_id else f"addr:{client}"
    per_minute = request.app.state.settings.rate_limit_per_minute
    service.admit_request(session, principal=principal, identity=identity, per_minute=per_minute)


F = TypeVar("F", bound=Callable[..., Any])


def admits_itself(handler: F) -> F:
    """Mark a route whose handler calls `admit` first thing, in its own worker thread.

    The hottest reads (one OGC item, one shared station, an OGC page) save a threadpool hop so;
    their query parameters are checked before the rate limit counts them.
    """
    handler.admits_itself = True  # type: ignore[attr-defined]
    return handler


async def guard(request: Request, session: PrimarySessionDep, principal: OptionalPrincipalDep) -> None:
    """Admit every request of the router (rate limit and usage), in a worker thread unless its handler does."""
    if not getattr(request.scope.get("endpoint"), "admits_itself", False):
        await run_in_threadpool(admit, request, session, principal)


router = APIRouter(prefix="/share/v1", tags=["share"], dependencies=[Depends(strict_query), Depends(guard)])


def _format(request: Request, f: str | None, allowed: tuple[str, ...], default: str) -> str:
    if f is not None:
        if f not in allowed:
            raise InvalidQuery(
                f"f must be one of: {', '.join(allowed)}", parameter="f", allowed=list(allowed)
            )
        return f
    accept = request.headers.get("accept", "")
    if "wmdr" in allowed and (XML in accept or "text/xml" in accept):
        return "wmdr"
    return "csv" if "csv" in allowed and "text/csv" in accept else default


STATION_RESPONSES = ERRORS | {200: {"content": {GEOJSON: {}, "text/csv": {}, XML: {}}}}


@router.get(
    "/stations", summary="The partner's stations (GeoJSON, CSV or WMDR 1.0 XML)", responses=STATION_RESPONSES
)
def list_shared_stations(
    request: Request, session: SessionDep, principal: PrincipalDep,
    f: Annotated[Literal["geojson", "csv", "wmdr"] | None, Query(description="or Accept: text/csv, application/xml")] = None,
    filter: Annotated[str | None, Query(description="CQL2 filter, as on /ogc")] = None,
    filter_lang: Annotated[str | None, Query(alias="filter-lang")] = None,
    filter_crs: Annotated[str | None, Query(alias="filter-crs")] = None,
) -> StreamingResponse:  # fmt: skip
    fmt = _format(request, f, ("geojson", "csv", "wmdr"), "geojson")
    cql = parse_station_cql(filter, lang=filter_lang, crs=filter_crs)
    chunks = service.export_stations(session, principal=principal, fmt=fmt, cql=cql)  # type: ignore[arg-type]
    return StreamingResponse(chunks, media_type=MEDIA[fmt])


@router.get(
    "/stations/{station_id}", summary="One station of the partner's view", responses=ERRORS | {304: {}}
)
@admits_itself
def get_shared_station(
    request: Request, session: ReadSessionDep, primary: PrimarySessionDep, principal: PrincipalDep,
    station_id: uuid.UUID, f: Literal["json", "geojson", "wmdr"] | None = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:  # fmt: skip
    admit(request, primary, principal)
    fmt = _format(request, f, ("json", "geojson", "wmdr"), "json")
    body = service.get_shared_station(session, principal=principal, station_id=station_id, fmt=fmt)  # type: ignore[arg-type]
    tag = etag_of(body)
    if etag_matches(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": tag})
    return Response(body, media_type=MEDIA[fmt], headers={"ETag": tag})


@router.get(
    "/changes",
    summary="The partner's change feed (upsert / drop), in order",
    responses=ERRORS | problem_responses(409),
)
def read_changes(
    session: ReadSessionDep, principal: PrincipalDep, settings: SettingsDep,
    after: Annotated[str | None, Query(description="next_cursor of the previous page; omit to start")] = None,
    limit: Annotated[int | None, Query(description="events per page (default 100, at most 10,000)")] = None,
) -> StreamingResponse:  # fmt: skip
    size = settings.default_page_size if limit is None else limit
    if not 1 <= size <= settings.feed_max_page_size:
        raise InvalidQuery(f"limit must be between 1 and {settings.feed_max_page_size}", parameter="limit")
    chunks = feed.stream_changes(session, principal=principal, after=after, limit=size)
    return StreamingResponse(chunks, media_type="application/json")


@router.get("/agreements", response_model=list[ShareGrantPublic], responses=ERRORS)
def list_agreements(session: SessionDep, principal: PrincipalDep) -> list[ShareGrantPublic]:
    grants = service.list_agreements(session, principal=principal)
    return [ShareGrantPublic.model_validate(g, from_attributes=True) for g in grants]


@router.get("/agreements/{organization_id}", response_model=ShareGrantPublic, responses=ERRORS)
def get_agreement(session: SessionDep, principal: PrincipalDep, organization_id: str) -> ShareGrantPublic:
    grant = service.get_agreement(session, principal=principal, organization=organization_id)
    return ShareGrantPublic.model_validate(grant, from_attributes=True)


@router.put(
    "/agreements/{organization_id}",
    response_model=ShareGrantPublic,
    responses=ERRORS | problem_responses(422),
)
def put_agreement(
    session: SessionDep, principal: PrincipalDep, organization_id: str, data: ShareGrantWrite
) -> ShareGrantPublic:  # fmt: skip
    grant = service.grant_partner_access(
        session, principal=principal, organization=organization_id, data=data
    )
    return ShareGrantPublic.model_validate(grant, from_attributes=True)


@router.delete("/agreements/{organization_id}", status_code=204, responses=ERRORS)
def end_agreement(session: SessionDep, principal: PrincipalDep, organization_id: str) -> Response:
    service.end_agreement(session, principal=principal, organization=organization_id)
    return Response(status_code=204)


@router.get("/usage", response_model=list[UsagePublic], responses=ERRORS)
def list_usage(
    session: SessionDep, principal: PrincipalDep, organization: str | None = None,
    days: Annotated[int, Query(ge=1, le=366)] = 31,
) -> list[UsagePublic]:  # fmt: skip
    rows = service.list_usage(session, principal=principal, organization=organization, days=days)
    return [UsagePublic.model_validate(r, from_attributes=True) for r in rows]
