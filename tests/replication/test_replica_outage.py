"""A replica stopped while both API nodes serve reads: every read still answers, from the primary."""

import threading
import time

import httpx
import pytest

from tests.reliability.support import wait_until
from tests.replication.conftest import Topology

pytestmark = pytest.mark.slow

# not /ogc or /share: those are rate-limited per key, and four readers would pass the nodes' limit
READS = ("/api/v1/stations?limit=5", "/api/v1/organizations", "/api/v1/statistics/stations")


def reader(
    base: str, headers: dict[str, str], stop: threading.Event, seen: list[tuple[float, int, str]]
) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        n = 0
        while not stop.is_set():
            r = http.get(READS[n % len(READS)], headers=headers)
            seen.append((time.monotonic(), r.status_code, r.headers.get("X-Database", "")))
            n += 1


def test_reads_keep_working_when_the_replica_stops_mid_run_and_return_to_it_after(topology: Topology) -> None:
    headers = topology.keys.headers("admin")
    stop, seen = threading.Event(), []  # type: ignore[var-annotated]
    threads = [
        threading.Thread(target=reader, args=(node.base, headers, stop, seen))
        for node in (topology.node_a, topology.node_b, topology.node_a, topology.node_b)
    ]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        stopped_at = time.monotonic()
        topology.standby.stop("immediate")
        time.sleep(2.0)
    finally:
        stop.set()
        for t in threads:
            t.join()
    topology.standby.start()

    statuses = {status for _, status, _ in seen}
    before = {db for at, _, db in seen if at < stopped_at}
    after = {db for at, _, db in seen if at > stopped_at + 1.0}
    assert statuses == {200}, [s for s in seen if s[1] != 200][:5]
    assert "replica-1" in before
    assert after == {"primary"}
    assert wait_until(
        lambda: topology.replica_in_use(topology.node_a) and topology.replica_in_use(topology.node_b), 30
    )
    r = httpx.get(topology.node_b.base + READS[0], headers=headers)
    assert r.status_code == 200 and r.headers["X-Database"] == "replica-1"
