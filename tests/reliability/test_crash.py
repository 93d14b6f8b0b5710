"""A database crash (pg_ctl -m immediate) under a warm server: 503 on every path, nothing fails once it is back."""

import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from api.deps import _authenticate_and_release
from domain.access.cache import KeyCache
from domain.access.models import SYSTEM
from domain.db.engine import make_engine, sqlalchemy_url
from domain.settings import Settings
from domain.sharing.models import ShareGrantWrite
from domain.sharing.service import grant_partner_access
from tests.factories import station_body
from tests.reliability.support import (
    Cluster,
    Keys,
    Server,
    add_station,
    admin_sql,
    create_database,
    make_keys,
    own_cluster,
    run_server,
)

PROBLEM = "application/problem+json"
CRASH_CLUSTER_PORT = 18115  # not the outage test's cluster port, so both may run at once
Request = Callable[[httpx.Client], httpx.Response]


def grant_partner(url: str, partner_org: str) -> None:
    engine = create_engine(sqlalchemy_url(url))
    with Session(engine) as s:
        grant = ShareGrantWrite.model_validate({"data_policies": ["core"]})
        grant_partner_access(s, principal=SYSTEM, organization=partner_org, data=grant)
    engine.dispose()


def import_body(tag: str) -> bytes:
    header = "national_code,name,network,station_types,automation,latitude,longitude\r\n"
    return (header + f"{tag},Trạm nhập {tag},specialized,rain_gauge,automatic,21.0,105.8\r\n").encode()


def every_path(keys: Keys, station_id: str, fresh_key: str) -> dict[str, Request]:
    """One request per path a crash must not turn into a 500: key lookup, reads, writes, imports, feed."""
    admin, editor, partner = keys.headers("admin"), keys.headers("editor"), keys.headers("partner")

    def tag() -> str:
        return f"CR-{uuid.uuid4().hex[:8].upper()}"

    return {
        "key lookup": lambda c: c.get("/api/v1/organizations", headers={"X-API-Key": fresh_key}),
        "list": lambda c: c.get("/api/v1/stations", params={"limit": 5}, headers=admin),
        "list csv": lambda c: c.get("/api/v1/stations", params={"f": "csv"}, headers=admin),
        "one station": lambda c: c.get(f"/api/v1/stations/{station_id}", headers=editor),
        "statistics": lambda c: c.get("/api/v1/statistics/stations", headers=admin),
        "coverage": lambda c: c.get("/api/v1/coverage/summary", headers=admin),
        "maintenance due": lambda c: c.get("/api/v1/maintenance/due", headers=admin),
        "register": lambda c: c.post(
            "/api/v1/stations", json=station_body(owner=keys.org, national_code=tag()), headers=admin
        ),
        "import": lambda c: c.post(
            "/api/v1/imports/stations",
            content=import_body(tag()),
            headers=admin | {"Content-Type": "text/csv"},
        ),  # fmt: skip
        "feed": lambda c: c.get("/share/v1/changes", headers=partner),
        "share csv": lambda c: c.get("/share/v1/stations", params={"f": "csv"}, headers=partner),
        "ogc items": lambda c: c.get("/ogc/collections/stations/items", params={"limit": 5}),
    }


def warm_up(server: Server, paths: dict[str, Request]) -> dict[str, int]:
    """Send every request from several threads at once (both pools then hold several connections).

    Return the status each path answers with the database up (never a 5xx).
    """
    statuses: dict[str, int] = {}

    def send() -> None:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            for name, request in paths.items():
                if name != "key lookup":  # that key must stay out of the cache until the crash
                    statuses[name] = request(client).status_code

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(status < 500 for status in statuses.values()), statuses
    return statuses | {"key lookup": 200}


def answers(server: Server, paths: dict[str, Request]) -> dict[str, httpx.Response]:
    with httpx.Client(base_url=server.base, timeout=30) as client:
        return {name: request(client) for name, request in paths.items()}


def assert_all_unavailable(got: dict[str, httpx.Response]) -> None:
    for name, r in got.items():
        assert r.status_code == 503, (name, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith(PROBLEM), name
        assert r.json()["type"].endswith("/database-unavailable"), name
        assert int(r.headers["retry-after"]) > 0, name


def assert_all_served(got: dict[str, httpx.Response], before: dict[str, int], log: Callable[[], str]) -> None:
    """Assert that every path answers as it did before the crash."""
    failed = {n: (r.status_code, r.text[:200]) for n, r in got.items() if r.status_code != before[n]}
    assert not failed, (failed, log()[-4000:])


@pytest.mark.slow
def test_database_crash_gives_503_on_every_path_and_nothing_fails_after_the_restart(
    tmp_path: Path,
) -> None:
    with own_cluster(CRASH_CLUSTER_PORT) as cluster:
        url = create_database("crash", cluster.server_url)
        keys = make_keys(url)
        grant_partner(url, keys.partner_org)
        station = add_station(url)
        fresh = [make_keys(url).viewer for _ in range(3)]  # each used once, after a crash
        # keys stay cached for a minute: reads and writes reach their own queries, not only the key lookup
        with run_server(url, tmp_path, HYDROMET_KEY_CACHE_TTL_S="60") as server:
            crash_and_check(server, cluster, keys, station["id"], fresh)
            assert server.proc.poll() is None


def crash_and_check(server: Server, cluster: Cluster, keys: Keys, station_id: str, fresh: list[str]) -> None:
    # 1. crash and restart with no request in between: every pooled connection died meanwhile
    before = warm_up(server, every_path(keys, station_id, fresh[0]))
    cluster.stop("immediate")
    cluster.start()
    assert_all_served(answers(server, every_path(keys, station_id, fresh[0])), before, server.log)
    # 2. crash, then every path twice while it is down, then every path once it is back
    warm_up(server, every_path(keys, station_id, fresh[1]))
    cluster.stop("immediate")
    for _ in range(2):
        assert_all_unavailable(answers(server, every_path(keys, station_id, fresh[1])))
    cluster.start()
    assert_all_served(answers(server, every_path(keys, station_id, fresh[2])), before, server.log)


def test_a_key_lookup_on_a_connection_that_dies_under_it_raises_the_database_error(rel_url: str) -> None:
    """The lookup's own failure must surface (-> 503), not a PendingRollbackError from its clean-up (-> 500)."""
    engine = make_engine(Settings(database_url=rel_url), autocommit=True)  # type: ignore[arg-type]
    try:
        with Session(engine) as session:
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            admin_sql(f"SELECT pg_terminate_backend({int(pid)})")
            with pytest.raises(OperationalError):
                _authenticate_and_release(session, "hm_not_a_known_key", KeyCache(5))
            assert session.execute(text("SELECT 1")).scalar_one() == 1  # usable again, on a new connection
    finally:
        engine.dispose()
