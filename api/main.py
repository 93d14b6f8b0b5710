"""The application factory: routers, error handlers, middleware, and the engine on app.state."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import errors
from api.links import add_links
from api.middleware import BodyLimit, Gzip, Metrics, Observe
from api.query import document_query_models
from api.routers import (
    audit,
    change_requests,
    coverage,
    docs,
    equipment,
    health,
    imports,
    maintenance,
    map,
    ogc,
    organizations,
    share,
    stations,
    statistics,
    wigos,
    zones,
)
from api.routing import ReadRouting, RoutingCollector
from domain.access.cache import KeyCache
from domain.access.listener import RevocationListener
from domain.db.engine import make_router
from domain.db.monitor import Chore, ReplicationMonitor
from domain.settings import Settings, get_settings
from domain.sharing.ratelimit import RateWindowSweeper
from domain.sharing.service import publish_feed_horizon

log = logging.getLogger(__name__)

DESCRIPTION = """National registry of hydrometeorological monitoring stations of Viet Nam.

Authenticate with `Authorization: Bearer <key>` (or `X-API-Key`). Errors are RFC 9457
`application/problem+json`. Lists are paged with an opaque `cursor` and a `next` link."""


def _link_operations(app: FastAPI) -> None:
    """Serve the OpenAPI document with its links (api/links.py), built once like FastAPI's own."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_links(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# the registry's routers, under the API prefix
API_MODULES = (
    stations,
    organizations,
    equipment,
    maintenance,
    statistics,
    zones,
    coverage,
    imports,
    wigos,
    change_requests,
    audit,
)


# Requests are matched against the routes in order (~1 µs a route): reaching the OGC item, 75 routes
# down, cost ~60 µs a request. These paths overlap no registry path, so moving them changes no match.
HOT_READS = (
    "/ogc/collections/{collection_id}/items/{feature_id}",
    "/ogc/collections/{collection_id}/items",
    "/share/v1/stations/{station_id}",
)


def _hot_reads_early(app: FastAPI, registry_stations: str) -> None:
    """Move the hottest OGC and share reads right after the registry's station routes."""
    routes = app.router.routes
    hot = [r for r in routes if getattr(r, "path", None) in HOT_READS]
    rest = [r for r in routes if r not in hot]
    paths = [getattr(r, "path", "") for r in rest]
    at = next(
        i
        for i in range(1, len(paths))
        if paths[i - 1].startswith(registry_stations) and not paths[i].startswith(registry_stations)
    )
    routes[:] = rest[:at] + hot + rest[at:]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for these settings (read from the environment when omitted)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        workers = _background(app, settings)
        for worker in workers:
            worker.start()
        yield
        for worker in workers:
            worker.stop()
        app.state.router.dispose()

    app = FastAPI(
        title="Hydromet station registry", version="1.0.0", description=DESCRIPTION, lifespan=lifespan,
        docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,  # api/routers/docs.py: vendored
    )  # fmt: skip
    app.state.settings = settings
    half = max(1, settings.db_pool_size // 2)  # a worker's connections, shared by writes and reads
    databases = make_router(settings, pool_size=half)
    app.state.router = databases
    app.state.engine, app.state.read_engine = databases.primary.engine, databases.primary.read_engine
    app.state.metrics = Metrics()
    app.state.metrics.registry.register(RoutingCollector(databases))
    app.state.key_cache = KeyCache(settings.key_cache_ttl_s)
    errors.install(app)
    # the registry's routes first: a request is matched against the routes in order
    for module in API_MODULES:
        app.include_router(module.router, prefix=settings.api_prefix)
    for router in (health.router, share.router, ogc.router, map.router, docs.router):
        app.include_router(router)
    _hot_reads_early(app, f"{settings.api_prefix}/stations")
    document_query_models(app)
    _link_operations(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"]
        )
    # only when the client asks (Accept-Encoding: gzip); station GeoJSON shrinks about 11x
    app.add_middleware(Gzip, minimum_size=2048)
    app.add_middleware(ReadRouting, router=databases)
    app.add_middleware(Observe, metrics=app.state.metrics)
    imports_path = f"{settings.api_prefix}/imports/"
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, path_limits={imports_path: settings.max_import_bytes}
    )
    return app


def _background(app: FastAPI, settings: Settings) -> list[RevocationListener | ReplicationMonitor]:
    """Return the process's background threads: the key-revocation listener and the replication monitor.

    Both hold their own connections to the primary. The monitor publishes the change feed's horizon
    only when there are replicas to read it.
    """
    router = app.state.router
    chores: list[Chore] = [RateWindowSweeper()]
    if router.replicas:
        chores.append(publish_feed_horizon)
    listener = RevocationListener(
        str(settings.database_url), app.state.key_cache, connect_timeout_s=settings.db_connect_timeout_s
    )
    monitor = ReplicationMonitor(router, interval_s=settings.replica_check_interval_s, chores=chores)
    return [listener, monitor]
