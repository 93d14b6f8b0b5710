"""State shared by API processes: key revocation within a second everywhere, one rate limit, usage that adds up."""

import time

import httpx
import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from domain.access.models import SYSTEM, OrganizationCreate, OrganizationKind, Role
from domain.access.service import create_key, ensure_organization
from domain.sharing.models import ShareGrantWrite
from domain.sharing.service import grant_partner_access
from tests.reliability.support import Server, wait_until
from tests.replication.conftest import DATABASE, RATE_LIMIT, Topology

pytestmark = pytest.mark.slow


def new_key(topo: Topology, org: str, role: str) -> tuple[str, str]:
    """Create a key through node A (admin); return its id and secret."""
    r = httpx.post(
        f"{topo.node_a.base}/api/v1/organizations/{org}/keys",
        json={"role": role},
        headers=topo.keys.headers("admin"),
        timeout=10,
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["key"]


def status_with(node: Server, secret: str) -> int:
    r = httpx.get(node.base + "/api/v1/stations?limit=1", headers={"Authorization": f"Bearer {secret}"})
    return r.status_code


def seconds_until_refused(topo: Topology, key_id: str, secret: str) -> float:
    """Revoke through node A; return how long node B still accepted the key it had cached."""
    assert status_with(topo.node_b, secret) == 200  # cached in B (the nodes cache keys for 30 s)
    revoked = httpx.delete(
        f"{topo.node_a.base}/api/v1/keys/{key_id}", headers=topo.keys.headers("admin"), timeout=10
    )
    assert revoked.status_code == 200
    start = time.monotonic()
    while status_with(topo.node_b, secret) == 200 and time.monotonic() - start < 10:
        time.sleep(0.02)
    return time.monotonic() - start


def test_a_key_revoked_through_one_process_stops_in_the_other_within_a_second(topology: Topology) -> None:
    key_id, secret = new_key(topology, "RELA", "viewer")

    elapsed = seconds_until_refused(topology, key_id, secret)

    assert elapsed < 1.0
    assert status_with(topology.node_a, secret) == 401


def test_revocations_still_reach_a_process_whose_listener_lost_its_connection(topology: Topology) -> None:
    def listeners() -> set[int]:
        sql = "SELECT pid FROM pg_stat_activity WHERE application_name = 'hydromet-listener'"
        return {row[0] for row in topology.primary.query(sql, DATABASE)}

    before = listeners()
    assert len(before) == 2  # one per API process
    topology.primary.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hydromet-listener'"
    )
    assert wait_until(lambda: len(listeners()) == 2 and not listeners() & before, 10)
    key_id, secret = new_key(topology, "RELA", "viewer")

    assert seconds_until_refused(topology, key_id, secret) < 1.0


def test_the_rate_limit_holds_across_both_processes_and_usage_counts_add_up(topology: Topology) -> None:
    engine = create_engine(topology.primary_url)
    with Session(engine, expire_on_commit=False) as s:
        ensure_organization(
            s, data=OrganizationCreate(code="RELQ", name="Rate", kind=OrganizationKind.partner)
        )
        s.commit()
        secret = create_key(s, organization="RELQ", role=Role.partner)[1]
        grant_partner_access(s, principal=SYSTEM, organization="RELQ", data=ShareGrantWrite())
    engine.dispose()
    headers = {"Authorization": f"Bearer {secret}"}
    statuses: dict[str, list[int]] = {"a": [], "b": []}
    # windows are the database's minutes: start early in one, so that the run stays inside it
    into_minute = float(topology.primary.query("SELECT extract(second FROM clock_timestamp())::float8")[0][0])
    if into_minute > 35:
        time.sleep(60.5 - into_minute)

    with httpx.Client(timeout=10) as http:
        for _ in range(200):  # 400 requests, alternating nodes; each process alone would allow 300
            for name, node in (("a", topology.node_a), ("b", topology.node_b)):
                r = http.get(node.base + "/share/v1/changes?limit=1", headers=headers)
                statuses[name].append(r.status_code)
                if r.status_code == 429:
                    assert int(r.headers["Retry-After"]) >= 1

    admitted = sum(s == 200 for s in statuses["a"] + statuses["b"])
    assert admitted == RATE_LIMIT
    assert 429 in statuses["a"] and 429 in statuses["b"]
    assert set(statuses["a"] + statuses["b"]) == {200, 429}
    usage = httpx.get(
        topology.node_b.base + "/share/v1/usage?organization=RELQ", headers=topology.keys.headers("admin")
    ).json()
    assert sum(day["requests"] for day in usage) == admitted
