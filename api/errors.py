"""Domain errors and request errors rendered as RFC 9457 problem+json."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from domain import errors as e

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"

STATUS: dict[type[e.DomainError], int] = {
    e.NotFound: 404,
    e.Conflict: 409,
    e.RuleViolation: 422,
    e.InvalidQuery: 400,
    e.AccessDenied: 403,
    e.Unauthenticated: 401,
    e.PreconditionRequired: 428,
    e.PreconditionFailed: 412,
    e.PayloadTooLarge: 413,
    e.ServiceUnavailable: 503,
    e.TooManyRequests: 429,
}


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


def status_of(error: e.DomainError) -> int:
    """Return the HTTP status of a domain error, resolved along its class hierarchy."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def problem(
    request: Request, status: int, code: str, title: str, detail: str | None, /, **extra: Any
) -> JSONResponse:
    """Return a problem+json response; extension members never replace the standard ones."""
    base = str(request.app.state.settings.problem_base_url).rstrip("/")
    body = {"type": f"{base}/{code}" if code else "about:blank", "title": title, "status": status}
    body |= {"detail": detail, "instance": request.url.path}
    body |= {k: v for k, v in extra.items() if k not in body}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _pointer(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:] if not (isinstance(p, str) and p.startswith("function-after"))]
    return "#/" + "/".join(parts)


async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, e.DomainError)
    status = status_of(exc)
    headers_extra = {k: v for k, v in exc.extra.items() if k != "retry_after"}
    response = problem(request, status, exc.code, exc.title, exc.detail, **headers_extra)
    if "retry_after" in exc.extra:
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"detail": err["msg"], "pointer": _pointer(tuple(err["loc"])), "in": str(err["loc"][0])}
        for err in exc.errors()
    ]
    in_body = any(err["in"] == "body" for err in errors)
    status, code = (422, "invalid-body") if in_body else (400, "invalid-query")
    summary = "; ".join(f"{err['pointer']}: {err['detail']}" for err in errors[:5])
    return problem(request, status, code, "The request is not valid", summary, errors=errors)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = problem(request, exc.status_code, "", str(exc.detail), None)
    response.headers.update(exc.headers or {})
    return response


async def on_database_down(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable on %s: %s", request.url.path, type(exc).__name__)
    response = problem(
        request, 503, "database-unavailable", "The database is unavailable", "try again shortly"
    )
    response.headers["Retry-After"] = "5"
    return response


async def on_bad_value(request: Request, exc: Exception) -> JSONResponse:
    """A value the database cannot store (a NUL character, an out-of-range number) is the caller's error."""
    reason = str(getattr(exc, "orig", None) or "a value cannot be stored").splitlines()[0]
    log.info("value refused by the database on %s: %s", request.url.path, reason)
    status = 400 if request.method in ("GET", "HEAD") else 422
    return problem(request, status, "invalid-value", "A value cannot be stored", reason)


async def on_driver_error(request: Request, exc: Exception) -> JSONResponse:
    """A driver error on a connection that died (an InterfaceError after a crash) is an outage, not a bug."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return await on_database_down(request, exc)
    return await on_unexpected(request, exc)


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled %s", type(exc).__name__, exc_info=exc)
    log.debug("unhandled error on %s %s", request.method, request.url.path)
    return problem(request, 500, "internal-error", "Internal error", "the error was logged")


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on the app."""
    app.add_exception_handler(e.DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(OperationalError, on_database_down)
    app.add_exception_handler(PoolTimeout, on_database_down)
    app.add_exception_handler(DataError, on_bad_value)
    app.add_exception_handler(DBAPIError, on_driver_error)
    app.add_exception_handler(Exception, on_unexpected)
    _document_problems(app)


class ValidationProblem(Problem):
    """The problem document of a request that does not validate, with one entry per error."""

    errors: list[dict[str, Any]] = []


def _problem_ref(name: str) -> dict[str, Any]:
    return {"schema": {"$ref": f"#/components/schemas/{name}"}}


def _declare_problems(document: dict[str, Any]) -> None:
    """Declare problem+json bodies where the API sends them (FastAPI says application/json)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (Problem, ValidationProblem):
        schemas.setdefault(
            model.__name__, model.model_json_schema(ref_template="#/components/schemas/{model}")
        )
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                declared = content.get("application/json", {}).get("schema", {}).get("$ref", "")
                if status == "422" and declared.endswith("/HTTPValidationError"):
                    response["content"] = {PROBLEM: _problem_ref("ValidationProblem")}
                elif PROBLEM in content and declared and not declared.endswith("/Problem"):
                    content[PROBLEM] = content.pop("application/json")  # a Problem with more members
                elif PROBLEM in content:
                    content[PROBLEM] = _problem_ref("Problem")
                    if declared.endswith("/Problem"):
                        del content["application/json"]


def _document_problems(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _declare_problems(build())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Return the OpenAPI `responses` entry declaring problem+json bodies for these statuses."""
    return {s: {"model": Problem, "content": {PROBLEM: {}}} for s in statuses}
