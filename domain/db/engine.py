"""Engine and session factory; nothing is created at import time."""

import select
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session

from domain.db.routing import Database, DatabaseRouter
from domain.settings import Settings


def sqlalchemy_url(url: str) -> str:
    """Return the URL with the psycopg 3 driver named, whatever form it was given in."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def libpq_url(url: str) -> str:
    """Return the URL in the plain libpq form that psycopg, psql and pg_dump take."""
    return "postgresql://" + sqlalchemy_url(url)[len("postgresql+psycopg://") :]


# psycopg's count of executions before it prepares a statement by itself (None would forbid prepare=True too)
NEVER_AUTOMATICALLY = 2**31 - 1


def make_engine(
    settings: Settings, *, pool_size: int | None = None, autocommit: bool = False, url: str | None = None
) -> Engine:
    """Return a pooled engine with a statement timeout and no JIT (on `url`, else the primary).

    `autocommit` engines are for reads: no BEGIN or ROLLBACK round trip, and (set once per
    connection rather than at each checkout) ~0.08 ms less per request than a per-session option.
    """
    size = pool_size or settings.db_pool_size
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    engine = create_engine(
        sqlalchemy_url(url or str(settings.database_url)),
        pool_size=size,
        max_overflow=size,
        pool_pre_ping=False,
        pool_timeout=settings.db_connect_timeout_s,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_s,
            # JIT compiling costs more than these short queries run (55 ms on a bbox page: bench/RESULTS.md)
            # reads (autocommit) are short and many at once: parallel workers only fight the other
            # requests for the same cores (a 1M bbox page: bench/RESULTS.md, bbox page at 1M)
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms} -c jit=off"
            + (" -c max_parallel_workers_per_gather=0" if autocommit else ""),
            "application_name": "hydromet",
            # text arrives as UTF-8 whatever PGCLIENTENCODING says: station pages pass it on as bytes
            "client_encoding": "UTF8",
            # server-side prepared only when asked (fetch_rows(prepare=True): statements of one fixed
            # shape, like the rate limit or one station by id); never automatically: a generic plan
            # ignores how selective a bbox or filter is
            "prepare_threshold": NEVER_AUTOMATICALLY,
        },
        **options,
    )
    event.listen(engine, "checkout", refuse_dead_connection)
    return engine


def refuse_dead_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server has closed, so the pool connects afresh (no round trip).

    An idle connection's socket has nothing to read; when it has (the server's goodbye, or end of
    file after a crash or restart), the connection is dead. Raising DisconnectionError makes the pool
    drop it and open a new one, so no request fails on a connection that died while it was pooled
    (a pre-ping would cost a round trip on every checkout; this costs a poll of the socket).
    """
    if dbapi_connection.closed or dbapi_connection.broken:
        raise DisconnectionError("the pooled connection is closed")
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError) as exc:  # the socket is already gone
        raise DisconnectionError("the pooled connection has no socket") from exc
    if readable:
        raise DisconnectionError("the server closed the pooled connection")


def make_router(settings: Settings, *, pool_size: int) -> DatabaseRouter:
    """Return the router of the primary and of every HYDROMET_DATABASE_READ_URLS replica.

    Each database gets two pools of `pool_size` (and as many overflow): transactions and autocommit
    reads. A replica whose connection fails is taken out of the rotation at once.
    """
    primary = _database(settings, "primary", str(settings.database_url), pool_size, primary=True)
    replicas = [
        _database(settings, f"replica-{n}", url, pool_size, primary=False)
        for n, url in enumerate(settings.read_urls(), start=1)
    ]
    router = DatabaseRouter(primary=primary, replicas=replicas, max_lag_s=settings.replica_max_lag_s)
    for replica in replicas:
        for engine in replica.engines():
            _mark_on_failure(engine, router, replica)
    return router


def _database(settings: Settings, name: str, url: str, pool_size: int, *, primary: bool) -> Database:
    return Database(
        name=name,
        url=url,
        engine=make_engine(settings, pool_size=pool_size, url=url),
        read_engine=make_engine(settings, pool_size=pool_size, autocommit=True, url=url),
        primary=primary,
        reachable=primary,  # a replica is used only once a check has found it
    )


def _mark_on_failure(engine: Engine, router: DatabaseRouter, replica: Database) -> None:
    def on_error(context: ExceptionContext) -> None:
        if context.is_disconnect or isinstance(context.original_exception, psycopg.OperationalError):
            router.mark_unreachable(replica, type(context.original_exception).__name__)

    event.listen(engine, "handle_error", on_error)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session for a script or CLI command; the caller commits."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
