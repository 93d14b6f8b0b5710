"""OGC API - Features 1.0 (core, GeoJSON, OpenAPI 3.0) under /ogc: stations and priority zones.

Without a key it serves public stations (core/recommended, never restricted or closed); with a
partner key, that partner's agreement. Unknown or invalid query parameters get 400; a limit above
the declared maximum is treated as the maximum, as OGC intends. Rate limits as under /share/v1.
"""

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from api.deps import OptionalPrincipalDep, SessionDep, SettingsDep, strict_query
from api.errors import problem_responses
from api.routers.share import guard
from domain.sharing import ogc, ogc_docs
from domain.sharing.ogc_openapi import openapi_document

ERRORS = problem_responses(400, 404, 429)


def output_format(
    f: Annotated[Literal["json"] | None, Query(description="Output format (JSON only)")] = None,
) -> None:
    """Accept f=json on every OGC resource (the only format served)."""


router = APIRouter(
    prefix="/ogc", tags=["ogc"], dependencies=[Depends(strict_query), Depends(guard), Depends(output_format)]
)


def base_of(request: Request) -> str:
    """Return the absolute URL of the OGC API root for this request."""
    return str(request.base_url).rstrip("/") + "/ogc"


def _json(document: dict[str, Any], media_type: str = ogc_docs.JSON) -> Response:
    return Response(orjson.dumps(document), media_type=media_type)


@router.get("", summary="Landing page", responses=ERRORS)
@router.get("/", summary="Landing page ({root}/, as OGC API - Features states it)", responses=ERRORS)
def landing_page(request: Request) -> Response:
    return _json(ogc_docs.landing_page(base_of(request)))


@router.get("/conformance", summary="Conformance classes", responses=ERRORS)
def conformance() -> Response:
    return _json(ogc_docs.conformance())


@router.get("/api", summary="OpenAPI 3.0 definition of the OGC API", responses=ERRORS)
def api_definition(request: Request, settings: SettingsDep) -> Response:
    doc = openapi_document(
        base_of(request), default_limit=settings.default_page_size, max_limit=settings.max_page_size
    )
    return _json(doc, ogc_docs.OPENAPI_30)


@router.get("/collections", summary="Collections", responses=ERRORS)
def collections(request: Request) -> Response:
    return _json(ogc_docs.collections(base_of(request)))


@router.get("/collections/{collection_id}", summary="One collection", responses=ERRORS)
def collection(request: Request, collection_id: str) -> Response:
    return _json(ogc_docs.collection(base_of(request), ogc.check_collection(collection_id)))


@router.get("/collections/{collection_id}/items", summary="Features", responses=ERRORS)
def items(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep, settings: SettingsDep,
    collection_id: str,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat")] = None,
    limit: Annotated[str | None, Query(description="page size, 1 to the declared maximum")] = None,
    datetime: Annotated[str | None, Query(description="RFC 3339 instant or interval, on updated_at")] = None,
    cursor: Annotated[str | None, Query(description="from a next link")] = None,
) -> Response:  # fmt: skip
    query = ogc.parse_items_query(
        bbox=bbox, datetime_=datetime, cursor=cursor, limit=limit,
        default=settings.default_page_size, maximum=settings.max_page_size,
    )  # fmt: skip
    page = ogc.list_items(session, principal=principal, collection_id=collection_id, query=query)
    nxt = str(request.url.include_query_params(cursor=page.next_cursor)) if page.next_cursor else None
    body = ogc_docs.feature_collection(
        page.features, self_url=str(request.url), next_url=nxt, number_matched=page.number_matched
    )
    return Response(body, media_type=ogc_docs.GEOJSON)


@router.get("/collections/{collection_id}/items/{feature_id}", summary="One feature", responses=ERRORS)
def item(
    request: Request, session: SessionDep, principal: OptionalPrincipalDep, collection_id: str,
    feature_id: str
) -> Response:  # fmt: skip
    text = ogc.get_item(session, principal=principal, collection_id=collection_id, feature_id=feature_id)
    collection_url = f"{base_of(request)}/collections/{collection_id}"
    body = ogc_docs.feature(text, self_url=str(request.url), collection_url=collection_url)
    return Response(body, media_type=ogc_docs.GEOJSON)
