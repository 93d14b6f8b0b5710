"""Request dependencies: settings, the session, the current principal, paging, strict query strings."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.query import QueryModel, reads_query
from domain.access.cache import KeyCache
from domain.access.models import ANONYMOUS, Principal, Role
from domain.access.rules import require_role
from domain.access.service import authenticate, authenticate_cached
from domain.audit.service import set_actor
from domain.db.routing import Database, DatabaseRouter, InvalidLsn, parse_lsn
from domain.errors import InvalidQuery, Unauthenticated
from domain.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_HEADER = "x-consistency-token"


class InvalidConsistencyToken(InvalidQuery):
    code = "invalid-consistency-token"
    title = "Invalid consistency token"


def routed_database(request: Request) -> Database:
    """Return the database of this request, chosen once per request.

    Writes go to the primary. Reads go to a healthy replica in turn, one at or past the
    `X-Consistency-Token` when the client sends one (read-your-writes), else to the primary.
    """
    state = request.scope.setdefault("state", {})
    chosen: Database | None = state.get("database")
    if chosen is None:
        router: DatabaseRouter = request.app.state.router
        if request.method not in SAFE_METHODS:
            chosen = router.choose_write()
        elif state.get("force_primary"):
            chosen = router.primary
        else:
            chosen = router.choose_read(_token(request))
        state["database"] = chosen
    return chosen


def _token(request: Request) -> int | None:
    presented = request.headers.get(TOKEN_HEADER)
    if presented is None:
        return None
    try:
        return parse_lsn(presented)
    except InvalidLsn as exc:
        raise InvalidConsistencyToken(
            f"{TOKEN_HEADER} must be a token from a write's response, like 0/16B3748",
            parameter="X-Consistency-Token",
        ) from exc


def get_session(request: Request) -> Iterator[Session]:
    """Yield a session in a transaction: on the primary for writes, on a read replica for reads.

    Its end runs in the threadpool.
    """
    with Session(routed_database(request).engine, expire_on_commit=False) as session:
        yield session


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """Yield a session in autocommit, for requests that only read (on a replica when one is healthy).

    Each statement is its own snapshot, so there is no BEGIN or ROLLBACK round trip, and opening and
    closing it does no I/O (the connection is taken at the first query, in the route's thread): the
    event loop is never blocked and the request makes no threadpool hop for its session.
    """
    with Session(routed_database(request).read_engine, expire_on_commit=False) as session:
        yield session


async def get_primary_session(request: Request) -> AsyncIterator[Session]:
    """Yield a session on the primary whatever the method: API keys, rate windows, usage counts.

    Keys are read on the primary so that a revoked key is never read back, still live, from a
    lagging replica; rate windows and usage counts are writes (each a statement of its own). While the last check could not reach
    the primary, reads use a healthy replica instead (keys go on working for reads; a revocation
    needs the primary anyway). No I/O until the first query.
    """
    router: DatabaseRouter = request.app.state.router
    database = router.primary
    if not database.reachable and request.method in SAFE_METHODS:
        database = routed_database(request)
    # autocommit: a key lookup is one read, and the rate limit and usage count one statement
    # (domain.sharing.queries.ADMIT), so a BEGIN and COMMIT round trip would buy nothing
    with Session(database.read_engine, expire_on_commit=False) as session:
        yield session


async def get_key_cache(request: Request) -> KeyCache:
    cache: KeyCache = request.app.state.key_cache
    return cache


SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
PrimarySessionDep = Annotated[Session, Depends(get_primary_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
KeyCacheDep = Annotated[KeyCache, Depends(get_key_cache)]


def _presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <key>'")
        return token.strip()
    return request.headers.get("x-api-key")


async def optional_principal(request: Request, session: PrimarySessionDep) -> Principal:
    """Return the caller, or ANONYMOUS when no key is presented (a bad key is still refused).

    A cached key is answered on the event loop; only a cache miss goes to the database in a thread,
    and gives its connection back at once (a writing route takes its own).
    """
    set_actor(None)  # the audit trail's "who" of this request's writes, set below once known
    key = _presented_key(request)
    if key is None:
        return ANONYMOUS
    cache: KeyCache = request.app.state.key_cache
    principal = authenticate_cached(cache, secret=key)
    if principal is None:
        principal = await run_in_threadpool(_authenticate_and_release, session, key, cache)
    request.state.principal = principal
    set_actor(principal)
    return principal


def _authenticate_and_release(session: Session, key: str, cache: KeyCache) -> Principal:
    """Look the key up and end the transaction either way, so that its connection goes back at once."""
    try:
        principal = authenticate(session, secret=key, cache=cache)
    except BaseException:
        # a failed lookup (the database gone) must reach the 503 handler, not a PendingRollbackError
        session.rollback()
        raise
    session.commit()
    return principal


# The principal dependencies call each other directly rather than through Depends: each level of
# FastAPI's dependency tree costs tens of microseconds on every request (bench/RESULTS.md).


async def current_principal(request: Request, session: PrimarySessionDep) -> Principal:
    """Return the caller, refusing anonymous requests with 401."""
    principal = await optional_principal(request, session)
    if principal.role is None:
        raise Unauthenticated("an API key is required: Authorization: Bearer <key> or X-API-Key")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
OptionalPrincipalDep = Annotated[Principal, Depends(optional_principal)]


async def staff_principal(request: Request, session: PrimarySessionDep) -> Principal:
    """Return the caller if it is registry staff (admin, reviewer, editor, viewer); partners use /share/v1."""
    principal = await current_principal(request, session)
    require_role(principal, Role.admin, Role.reviewer, Role.editor, Role.viewer)
    return principal


StaffDep = Annotated[Principal, Depends(staff_principal)]


@dataclass(frozen=True)
class Paging:
    cursor: str | None
    limit: int


class PageQuery(BaseModel):
    cursor: str | None = Field(None, description="Opaque cursor from a previous page's next link")
    limit: int | None = Field(None, description="Page size (maximum: see HYDROMET_MAX_PAGE_SIZE)")


PAGE_QUERY = QueryModel(PageQuery)


@reads_query(PAGE_QUERY)
async def paging(request: Request) -> Paging:
    """Return the validated page request; a limit over the maximum is refused, not clipped."""
    return read_paging(request)


def read_paging(request: Request) -> Paging:
    """Return the validated page request of a request (see paging)."""
    settings: Settings = request.app.state.settings
    page = PAGE_QUERY.read(request)
    size = settings.default_page_size if page.limit is None else page.limit
    if not 1 <= size <= settings.max_page_size:
        raise InvalidQuery(f"limit must be between 1 and {settings.max_page_size}", parameter="limit")
    return Paging(cursor=page.cursor, limit=size)


PagingDep = Annotated[Paging, Depends(paging)]


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def allowed_query_names(route: Any) -> frozenset[str]:
    """Return the query parameters a route declares: its dependencies' and its openapi_extra's.

    Worked out at a route's first request and kept on the route.
    """
    names: frozenset[str] | None = getattr(route, "hydromet_query_names", None)
    if names is None:
        extra = (getattr(route, "openapi_extra", None) or {}).get("parameters", [])
        declared = {p["name"] for p in extra if p.get("in") == "query"}
        names = frozenset(_query_names(route.dependant) | declared)
        route.hydromet_query_names = names
    return names


async def strict_query(request: Request) -> None:
    """Refuse query parameters the route does not declare (a typo must not silently widen a result)."""
    route: Any = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return
    allowed = allowed_query_names(route)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise InvalidQuery(
            f"unknown query parameter(s): {', '.join(unknown)}", parameter=unknown[0], allowed=sorted(allowed)
        )
