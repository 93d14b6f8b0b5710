"""The web map: the page at /map, its vendored assets, and base layers drawn from the service's own data."""

import hashlib
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from api.deps import SessionDep, strict_query
from api.errors import problem_responses
from domain.province.service import provinces_map_layer

router = APIRouter(tags=["map"], dependencies=[Depends(strict_query)])
WEB = Path(__file__).resolve().parent.parent / "web"
GEOJSON = "application/geo+json"
STATIC = StaticFiles(directory=WEB)
# the page and its own scripts revalidate (ETag) so a deployment shows at once; libraries and
# base layers change only with a release
REVALIDATE = "no-cache"
LONG = "public, max-age=86400"


@router.get("/map", include_in_schema=False)
def map_page() -> FileResponse:
    """Serve the map page."""
    return FileResponse(WEB / "index.html", media_type="text/html", headers={"Cache-Control": REVALIDATE})


@router.api_route("/map/static/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def map_asset(path: str, request: Request) -> Response:
    """Serve a file of the page (script, style, vendored library), 304 when the ETag still matches."""
    try:
        response = await STATIC.get_response(path, request.scope)
    except HTTPException as exc:
        raise HTTPException(exc.status_code, f"no file '{path}' among the map's assets") from exc
    response.headers["Cache-Control"] = LONG if path.startswith(("vendor/", "data/")) else REVALIDATE
    return response


@router.get(
    "/map/data/provinces.geojson",
    summary="Provinces base layer (simplified)",
    responses=problem_responses(400) | {200: {"content": {GEOJSON: {}}}},
)
def provinces_layer(request: Request, session: SessionDep) -> Response:
    """Return the 63 provinces, simplified, as a GeoJSON FeatureCollection (ETag, cacheable)."""
    body = provinces_map_layer(session)
    tag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": "public, max-age=3600"}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=GEOJSON, headers=headers)


@router.get(
    "/map/data/{layer}.geojson",
    summary="Coastline or seas base layer (simplified, from the seed data)",
    responses=problem_responses(400) | {200: {"content": {GEOJSON: {}}}},
)
def base_layer(layer: Literal["coastline", "seas"]) -> FileResponse:
    """Return a base layer shipped with the service (see seed/derive/map_layers.py)."""
    return FileResponse(
        WEB / "data" / f"{layer}.geojson", media_type=GEOJSON, headers={"Cache-Control": LONG}
    )
