"""Read routing over a real hot standby and two API processes: replica reads, read-your-writes, lag, health."""

import time
from typing import Any

import httpx
import pytest

from tests.factories import station_body
from tests.reliability.support import wait_until
from tests.replication.conftest import DATABASE, Topology

pytestmark = pytest.mark.slow


def register(topo: Topology, **overrides: Any) -> httpx.Response:
    """Register a station through node A as an admin."""
    body = station_body(owner="RELA", national_code=f"RP-{time.monotonic_ns() % 10**9}", **overrides)
    response = httpx.post(
        topo.node_a.base + "/api/v1/stations", json=body, headers=topo.keys.headers("admin"), timeout=10
    )
    assert response.status_code == 201, response.text
    return response


def read_station(topo: Topology, station_id: str, token: str | None = None) -> httpx.Response:
    headers = topo.keys.headers("admin") | ({"X-Consistency-Token": token} if token else {})
    return httpx.get(f"{topo.node_b.base}/api/v1/stations/{station_id}", headers=headers, timeout=10)


def test_station_written_through_one_node_is_read_through_the_other_from_the_replica(
    topology: Topology,
) -> None:
    created = register(topology, name="Trạm ghi qua nút A")
    token = created.headers["X-Consistency-Token"]
    station_id = created.json()["id"]

    read = read_station(topology, station_id, token)

    assert read.status_code == 200
    assert read.json()["name"] == "Trạm ghi qua nút A"
    assert read.headers["ETag"] == created.headers["ETag"]
    # the standby replays within milliseconds here, so the token's read is the replica's
    assert wait_until(
        lambda: read_station(topology, station_id, token).headers["X-Database"] == "replica-1", 10
    )
    listed = httpx.get(
        f"{topology.node_b.base}/api/v1/stations?q=ghi qua nut A",
        headers=topology.keys.headers("admin") | {"X-Consistency-Token": token},
        timeout=10,
    )
    assert [s["id"] for s in listed.json()["items"]] == [station_id]


def test_read_with_the_writes_token_never_sees_the_state_before_the_write(topology: Topology) -> None:
    created = register(topology, name="Trước khi dừng phát lại")
    station_id, etag = created.json()["id"], created.headers["ETag"]
    assert wait_until(lambda: read_station(topology, station_id).status_code == 200, 10)
    topology.standby.query("SELECT pg_wal_replay_pause()", DATABASE)
    try:
        changed = httpx.patch(
            f"{topology.node_a.base}/api/v1/stations/{station_id}",
            json={"name": "Sau khi dừng phát lại"},
            headers=topology.keys.headers("admin") | {"If-Match": etag},
            timeout=10,
        )
        assert changed.status_code == 200, changed.text
        token = changed.headers["X-Consistency-Token"]

        with_token = read_station(topology, station_id, token)
        without = read_station(topology, station_id)

        # the replica is behind the write: the token's read goes to the primary and sees it
        assert with_token.headers["X-Database"] == "primary"
        assert with_token.json()["name"] == "Sau khi dừng phát lại"
        assert with_token.headers["ETag"] == changed.headers["ETag"]
        # without the token a read may still be answered by the (paused) replica, with the old state
        assert without.headers["X-Database"] == "replica-1"
        assert without.json()["name"] == "Trước khi dừng phát lại"
    finally:
        topology.standby.query("SELECT pg_wal_replay_resume()", DATABASE)
    assert wait_until(
        lambda: read_station(topology, station_id, token).headers["X-Database"] == "replica-1", 10
    )


def test_a_replica_lagging_past_the_maximum_is_skipped_and_comes_back(topology: Topology) -> None:
    created = register(topology)
    station_id = created.json()["id"]
    assert wait_until(lambda: read_station(topology, station_id).status_code == 200, 10)
    topology.standby.query("SELECT pg_wal_replay_pause()", DATABASE)
    try:
        # the monitor's heartbeat keeps writing on the primary: the paused replica's lag grows past 2 s
        assert wait_until(lambda: not topology.replica_in_use(topology.node_b), 15)
        statuses = {d["name"]: d for d in httpx.get(topology.node_b.base + "/health").json()["databases"]}
        assert statuses["replica-1"]["status"] == "lagging"
        assert statuses["replica-1"]["lag_s"] > 2
        reads = [read_station(topology, station_id) for _ in range(5)]
        assert {r.status_code for r in reads} == {200}
        assert {r.headers["X-Database"] for r in reads} == {"primary"}
    finally:
        topology.standby.query("SELECT pg_wal_replay_resume()", DATABASE)
    assert wait_until(lambda: topology.replica_in_use(topology.node_b), 15)
    assert read_station(topology, station_id).headers["X-Database"] == "replica-1"


def test_health_and_metrics_report_each_database_lag_pools_and_routing(topology: Topology) -> None:
    for _ in range(3):
        httpx.get(topology.node_b.base + "/ogc/collections/stations/items?limit=1", timeout=10)

    health = httpx.get(topology.node_b.base + "/health", timeout=5)
    metrics = httpx.get(topology.node_b.base + "/metrics", timeout=5).text

    assert health.status_code == 200
    databases = {d["name"]: d for d in health.json()["databases"]}
    assert databases["primary"] == {"name": "primary", "role": "primary", "status": "ok"}
    assert databases["replica-1"]["role"] == "replica"
    assert databases["replica-1"]["lag_s"] < 2
    assert databases["replica-1"]["replay_lsn"].count("/") == 1
    assert 'hydromet_db_replica_lag_seconds{database="replica-1"}' in metrics
    assert 'hydromet_db_replica_healthy{database="replica-1"} 1.0' in metrics
    assert (
        'hydromet_db_pool_connections{database="primary",pool="transaction",state="checked_out"}' in metrics
    )
    routed = [line for line in metrics.splitlines() if line.startswith("hydromet_db_routed_requests_total")]
    assert any('database="replica-1"' in line and not line.endswith(" 0.0") for line in routed)


def test_a_consistency_token_that_is_not_a_wal_position_is_a_400_problem(topology: Topology) -> None:
    created = register(topology)

    response = read_station(topology, created.json()["id"], token="yesterday")

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["parameter"] == "X-Consistency-Token"


def test_every_read_only_route_answers_from_the_replica(topology: Topology) -> None:
    """Lists, one station, share, OGC, map layers, coverage, statistics: each GET without a path
    parameter (and the station ones) runs on the standby, where a write would fail."""
    station_id = register(topology).json()["id"]
    assert wait_until(lambda: read_station(topology, station_id).headers["X-Database"] == "replica-1", 10)
    paths = httpx.get(topology.node_b.base + "/openapi.json", timeout=10).json()["paths"]
    gets = [p.replace("{station_id}", station_id) for p, ops in paths.items() if "get" in ops]
    gets = [p for p in gets if "{" not in p] + ["/ogc/collections/stations/items", "/map"]
    served: dict[str, str] = {}
    with httpx.Client(base_url=topology.node_b.base, timeout=30) as http:
        for path in gets:
            who = "partner" if path.startswith("/share/v1/") and "agreements" not in path else "admin"
            r = http.get(path, headers=topology.keys.headers(who))
            assert r.status_code < 500, (path, r.status_code, r.text[:300])
            served[path] = r.headers.get("X-Database", "")
    using_a_database = {p: db for p, db in served.items() if db}
    assert len(using_a_database) > 15
    assert set(using_a_database.values()) == {"replica-1"}, using_a_database
    assert served[f"/api/v1/stations/{station_id}"] == "replica-1"
    assert served["/api/v1/coverage/summary"] == "replica-1"
    assert served["/api/v1/statistics/stations"] == "replica-1"
