"""Read routing at the HTTP edge: consistency tokens on writes, a retry on the primary when a replica fails.

- A successful write (any method but GET, HEAD, OPTIONS) answers with `X-Consistency-Token`: the
  primary's WAL insert position after the commit. A read that sends it back is answered from a
  replica that has replayed that far, or from the primary (api/deps.py: routed_database).
- A read a replica answered with a 5xx (it stopped between two checks) is run again once on the
  primary before anything is sent, and the replica is skipped until the next check finds it well.
- Every response that used a database names it in `X-Database` (`primary`, `replica-1`, ...).
"""

from collections.abc import Iterable

from anyio import to_thread
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import SAFE_METHODS
from domain.db.routing import Database, DatabaseRouter, format_lsn

WRITE_POSITION = text("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")


def write_position(router: DatabaseRouter) -> str | None:
    """Return the primary's current WAL insert position as a token (None when it cannot be read)."""
    try:
        with router.primary.read_engine.connect() as conn:
            return format_lsn(int(conn.execute(WRITE_POSITION).scalar_one()))
    except Exception:  # the write is done; a missing token only means reads may go to the primary
        return None


class ReadRouting:
    """Add the consistency token to writes, name the database used, retry reads of a failed replica."""

    def __init__(self, app: ASGIApp, router: DatabaseRouter) -> None:
        self.app, self.router = app, router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        scope.setdefault("state", {})
        if scope["method"] not in SAFE_METHODS:
            return await self._write(scope, receive, send)
        if not self.router.replicas:
            return await self.app(scope, receive, send_naming(scope, send))
        if await self._attempt(scope, receive, send):
            return
        scope["state"].pop("database", None)
        scope["state"]["force_primary"] = True
        await self.app(scope, replay_empty_body(receive), send_naming(scope, send))

    async def _attempt(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Run the request; return False (having sent nothing) when it should be run on the primary."""
        dropped = False

        async def guarded_send(message: Message) -> None:
            nonlocal dropped
            if message["type"] == "http.response.start" and message["status"] >= 500:
                used: Database | None = scope["state"].get("database")
                dropped = used is not None and not used.primary
                if (
                    dropped and used is not None and used.reachable
                ):  # a 5xx from a replica: skip it until checked
                    self.router.mark_unreachable(used, f"HTTP {message['status']}")
            if not dropped:
                await send_naming(scope, send)(message)

        await self.app(scope, receive, guarded_send)
        return not dropped

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_token(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                token = await to_thread.run_sync(write_position, self.router)
                if token is not None:
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"x-consistency-token", token.encode()),
                    ]
            await send_naming(scope, send)(message)

        await self.app(scope, receive, send_with_token)


def send_naming(scope: Scope, send: Send) -> Send:
    """Wrap `send` to name the database the request used in X-Database."""

    async def naming(message: Message) -> None:
        used: Database | None = scope["state"].get("database")
        if message["type"] == "http.response.start" and used is not None:
            message["headers"] = [*message.get("headers", []), (b"x-database", used.name.encode())]
        await send(message)

    return naming


def replay_empty_body(receive: Receive) -> Receive:
    """Return a `receive` that gives the (empty) body of a read again, then listens for a disconnect."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return await receive()

    return again


class RoutingCollector(Collector):
    """Prometheus metrics of the databases: replica lag and health, pool use, routed requests."""

    def __init__(self, router: DatabaseRouter) -> None:
        self.router = router

    def collect(self) -> Iterable[GaugeMetricFamily | CounterMetricFamily]:
        lag = GaugeMetricFamily(
            "hydromet_db_replica_lag_seconds", "Replay lag of a replica", labels=["database"]
        )
        up = GaugeMetricFamily(
            "hydromet_db_up", "1 when the database answered the last check", labels=["database"]
        )
        healthy = GaugeMetricFamily(
            "hydromet_db_replica_healthy", "1 when reads may go to it", labels=["database"]
        )
        pool = GaugeMetricFamily(
            "hydromet_db_pool_connections", "Pooled connections", labels=["database", "pool", "state"]
        )
        routed = CounterMetricFamily("hydromet_db_routed_requests", "Requests routed", labels=["database"])
        for db in self.router.databases():
            up.add_metric([db.name], 1.0 if db.reachable else 0.0)
            for kind, engine in (("transaction", db.engine), ("autocommit", db.read_engine)):
                status = engine.pool
                pool.add_metric([db.name, kind, "checked_out"], float(status.checkedout()))  # type: ignore[attr-defined]
                pool.add_metric([db.name, kind, "idle"], float(status.checkedin()))  # type: ignore[attr-defined]
            routed.add_metric([db.name], float(self.router.routed.get(db.name, 0)))
        for replica in self.router.replicas:
            healthy.add_metric([replica.name], 1.0 if self.router.healthy(replica) else 0.0)
            if replica.lag_s is not None:
                lag.add_metric([replica.name], replica.lag_s)
        return [lag, up, healthy, pool, routed]
