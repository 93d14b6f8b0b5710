"""OGC API - Features 1.0 (core, GeoJSON, OpenAPI 3.0) under /ogc: stations and priority zones.

Without a key it serves public stations (core/recommended, never restricted or closed); with a
partner key, that partner's agreement. Unknown or invalid query parameters get 400; a limit above
the declared maximum is treated as the maximum, as OGC intends. Rate limits as under /share/v1.
"""

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api import ogc_html
from api.deps import OptionalPrincipalDep, PrimarySessionDep, ReadSessionDep, SettingsDep, strict_query
from api.errors import problem_responses
from api.query import QueryModel, reads_query
from api.responses import FEATURE_SCHEMA, GEOJSON, GeoJSONResponse
from api.routers.share import admit, admits_itself, guard
from domain.sharing import ogc, ogc_docs
from domain.sharing.ogc_openapi import openapi_document

ERRORS = problem_responses(400, 404, 429)
HTML_TOO: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}}
}  # f=html, or a browser's Accept


Fmt = Annotated[Literal["json", "html"] | None, Query(description="json, or html (also a browser's Accept)")]


async def output_format(f: Fmt = None) -> None:
    """Accept f=json or f=html on every OGC resource."""


router = APIRouter(
    prefix="/ogc", tags=["ogc"], dependencies=[Depends(strict_query), Depends(guard), Depends(output_format)]
)


def base_of(request: Request) -> str:
    """Return the absolute URL of the OGC API root for this request."""
    return str(request.base_url).rstrip("/") + "/ogc"


def _json(document: dict[str, Any], media_type: str = ogc_docs.JSON) -> Response:
    return Response(orjson.dumps(document), media_type=media_type)


def _html(text: str, headers: dict[str, str] | None = None) -> Response:
    return Response(text, media_type="text/html; charset=utf-8", headers=headers)


def _either(request: Request, document: dict[str, Any], page: Any) -> Response:
    return _html(page(document)) if ogc_html.wants_html(request) else _json(document)


@router.get("", summary="Landing page", responses=ERRORS | HTML_TOO)
@router.get(
    "/", summary="Landing page ({root}/, as OGC API - Features states it)", responses=ERRORS | HTML_TOO
)
def landing_page(request: Request) -> Response:
    return _either(request, ogc_docs.landing_page(base_of(request)), ogc_html.landing)


@router.get("/conformance", summary="Conformance classes", responses=ERRORS | HTML_TOO)
def conformance(request: Request) -> Response:
    return _either(request, ogc_docs.conformance(), ogc_html.conformance)


@router.get("/api", summary="OpenAPI 3.0 definition of the OGC API", responses=ERRORS)
def api_definition(request: Request, settings: SettingsDep) -> Response:
    doc = openapi_document(
        base_of(request), default_limit=settings.default_page_size, max_limit=settings.max_page_size
    )
    return _json(doc, ogc_docs.OPENAPI_30)


@router.get("/collections", summary="Collections", responses=ERRORS | HTML_TOO)
def collections(request: Request) -> Response:
    return _either(request, ogc_docs.collections(base_of(request)), ogc_html.collections)


@router.get("/collections/{collection_id}", summary="One collection", responses=ERRORS | HTML_TOO)
def collection(request: Request, collection_id: str) -> Response:
    doc = ogc_docs.collection(base_of(request), ogc.check_collection(collection_id))
    return _either(request, doc, ogc_html.collection)


@router.get(
    "/collections/{collection_id}/queryables", summary="Queryables (JSON Schema)", responses=ERRORS | HTML_TOO
)
def queryables(request: Request, collection_id: str) -> Response:
    url = f"{base_of(request)}/collections/{collection_id}/queryables"
    doc = ogc_docs.queryables(url, collection_id, ogc.queryables_of(collection_id))
    if ogc_html.wants_html(request):
        return _html(ogc_html.queryables(doc))
    accept = request.headers.get("accept", "")
    plain = ogc_docs.JSON in accept and ogc_docs.SCHEMA_JSON not in accept  # e.g. GDAL before 3.7
    return _json(doc, ogc_docs.JSON if plain else ogc_docs.SCHEMA_JSON)


class ItemsQuery(BaseModel):
    """The parameters of an items request, as the query string gives them (checked by ogc.parse_items_query)."""

    model_config = ConfigDict(extra="ignore")

    bbox: str | None = Field(None, description="minx,miny,maxx,maxy in bbox-crs (default CRS84)")
    bbox_crs: str | None = Field(None, alias="bbox-crs", description="CRS of bbox")
    limit: str | None = Field(None, description="page size, 1 to the declared maximum")
    datetime_: str | None = Field(
        None, alias="datetime", description="RFC 3339 instant or interval, on updated_at"
    )
    cursor: str | None = Field(None, description="from a next link")
    filter: str | None = Field(None, description="CQL2 filter (see queryables)")
    filter_lang: str | None = Field(None, alias="filter-lang", description="cql2-text (default) or cql2-json")
    filter_crs: str | None = Field(None, alias="filter-crs", description="CRS of the filter's geometries")
    sortby: str | None = Field(None, description="+name, -updated_at, ... (one key; the code breaks ties)")
    crs: str | None = Field(None, description="CRS of the geometries returned (default CRS84)")
    properties: str | None = Field(None, description="comma-separated properties to return")


ITEMS_QUERY = QueryModel(ItemsQuery)


@reads_query(ITEMS_QUERY)
async def items_query(request: Request, collection_id: str) -> ogc.ItemsQuery:
    """Return the validated items parameters, read from the query string by one model (as station lists)."""
    raw = ITEMS_QUERY.read(request)
    settings = request.app.state.settings
    return ogc.parse_items_query(
        ogc.check_collection(collection_id),
        ogc.RawItemsQuery(
            bbox=raw.bbox, bbox_crs=raw.bbox_crs, datetime_=raw.datetime_, cursor=raw.cursor, limit=raw.limit,
            filter_=raw.filter, filter_lang=raw.filter_lang, filter_crs=raw.filter_crs, sortby=raw.sortby,
            crs=raw.crs, properties=raw.properties,
        ),
        default=settings.default_page_size, maximum=settings.max_page_size,
    )  # fmt: skip


@router.head("/collections/{collection_id}/items", include_in_schema=False)
@router.get(
    "/collections/{collection_id}/items",
    summary="Features",
    response_class=GeoJSONResponse,
    responses=ERRORS | HTML_TOO,
)
@admits_itself
def items(
    request: Request, session: ReadSessionDep, primary: PrimarySessionDep, principal: OptionalPrincipalDep,
    collection_id: str, query: Annotated[ogc.ItemsQuery, Depends(items_query)],
) -> Response:  # fmt: skip
    admit(request, primary, principal)
    page = ogc.list_items(session, principal=principal, collection_id=collection_id, query=query)
    url = str(request.url)
    nxt = str(request.url.include_query_params(cursor=page.next_cursor)) if page.next_cursor else None
    body = ogc_docs.feature_collection(
        page.features, self_url=url, next_url=nxt, number_matched=page.number_matched,
        crs=query.crs, properties=query.properties,
    )  # fmt: skip
    collection_url = f"{base_of(request)}/collections/{collection_id}"
    headers = ogc_docs.items_headers(url, collection_url, query.crs)
    if ogc_html.wants_html(request):
        return _html(ogc_html.features(orjson.loads(body), collection_url), headers)
    return Response(body, media_type=ogc_docs.GEOJSON, headers=headers)


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    summary="One feature",
    response_class=GeoJSONResponse,
    responses=ERRORS | {200: {"content": {GEOJSON: {"schema": FEATURE_SCHEMA}, "text/html": {}}}},
)
@admits_itself
def item(
    request: Request, session: ReadSessionDep, primary: PrimarySessionDep, principal: OptionalPrincipalDep,
    collection_id: str, feature_id: str,
    crs: Annotated[str | None, Query(description="CRS of the geometry (default CRS84)")] = None,
) -> Response:  # fmt: skip
    admit(request, primary, principal)
    target = ogc.parse_output_crs(crs)
    text = ogc.get_item(session, principal=principal, collection_id=collection_id, feature_id=feature_id)
    url = str(request.url)
    body = ogc_docs.feature(
        text, self_url=url, collection_url=f"{base_of(request)}/collections/{collection_id}", crs=target
    )
    headers = {"Content-Crs": f"<{target.uri}>"}
    if ogc_html.wants_html(request):
        return _html(ogc_html.feature(orjson.loads(body)), headers)
    return Response(body, media_type=ogc_docs.GEOJSON, headers=headers)
