"""The interactive API documentation (/docs Swagger UI, /redoc ReDoc), served with vendored assets.

FastAPI's own pages load both from a CDN and fonts from Google, and initialise Swagger UI with an
inline script; these pages load only files of the service, so the CSP can allow only 'self'.
"""

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

router = APIRouter(include_in_schema=False)
WEB = Path(__file__).resolve().parent.parent / "web"
STATIC = StaticFiles(directory=WEB)
SERVED = ("docs/", "vendor/swagger-ui/", "vendor/redoc/")  # the docs' part of api/web
REVALIDATE = "no-cache"
LONG = "public, max-age=86400"


@router.get("/docs")
def swagger_ui() -> FileResponse:
    """Serve Swagger UI."""
    return FileResponse(
        WEB / "docs" / "swagger.html", media_type="text/html", headers={"Cache-Control": REVALIDATE}
    )


@router.get("/redoc")
def redoc() -> FileResponse:
    """Serve ReDoc."""
    return FileResponse(
        WEB / "docs" / "redoc.html", media_type="text/html", headers={"Cache-Control": REVALIDATE}
    )


@router.api_route("/docs/static/{path:path}", methods=["GET", "HEAD"])
async def docs_asset(path: str, request: Request) -> Response:
    """Serve a file of the documentation pages (their scripts and the vendored libraries)."""
    if not path.startswith(SERVED) or ".." in path.split("/"):
        raise HTTPException(404, f"no file '{path}' among the documentation's assets")
    try:
        response = await STATIC.get_response(path, request.scope)
    except HTTPException as exc:
        raise HTTPException(exc.status_code, f"no file '{path}' among the documentation's assets") from exc
    response.headers["Cache-Control"] = LONG if path.startswith("vendor/") else REVALIDATE
    return response
