"""The change feed read from a hot standby while writers commit on the primary: nothing missed, nothing twice.

The writers of tests/integration/test_feed_concurrency.py commit on the primary, out of seq order;
a partner follows /share/v1/changes through node B, whose reads go to the standby. On the standby
the feed stops at the horizon the primary published in feed_mark (replicated with the WAL), not
at one computed from the standby's own locks, which know nothing of the primary's writers.
"""

import threading
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from domain.sharing.rules import decode_feed_cursor
from tests.integration.test_feed_concurrency import WRITERS, CommitLog, expected_events, setup_partner, writer
from tests.reliability.support import wait_until
from tests.replication.conftest import Topology
from tests.replication.support import replayed

pytestmark = pytest.mark.slow


def follow(http: httpx.Client, headers: dict[str, str], state: dict[str, Any]) -> int:
    """Read one page of the feed through node B, apply it to the copy; return how many events it held."""
    params = {"limit": 7} | ({"after": state["cursor"]} if state["cursor"] else {})
    r = http.get("/share/v1/changes", params=params, headers=headers)
    assert r.status_code == 200, r.text
    state["served_by"].append(r.headers["X-Database"])
    for e in r.json()["items"]:
        state["events"].append(e)
        if e["op"] == "upsert":
            state["copy"][e["station_id"]] = e["station"]
        else:
            state["copy"].pop(e["station_id"], None)
    state["cursor"] = r.json()["next_cursor"]
    return len(r.json()["items"])


def test_partner_following_the_feed_from_the_replica_misses_no_event_and_sees_none_twice(
    topology: Topology,
) -> None:
    engine = create_engine(topology.primary_url, pool_size=WRITERS + 2)
    headers, pool = setup_partner(engine)
    log, errors = CommitLog(), []
    state: dict[str, Any] = {"cursor": None, "copy": {}, "events": [], "served_by": []}
    threads = [threading.Thread(target=writer, args=(engine, n, pool, log, errors)) for n in range(WRITERS)]
    with httpx.Client(base_url=topology.node_b.base, timeout=10) as http:
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            follow(http, headers, state)
            time.sleep(0.05)  # the partner key is rate-limited like any other
        for t in threads:
            t.join()
        read_while_writing = len(state["events"])
        with engine.connect() as conn:
            last_seq = conn.execute(text("SELECT max(seq) FROM station_revision")).scalar_one()
        deadline = time.monotonic() + 30
        while decode_feed_cursor(state["cursor"])[1] < last_seq and time.monotonic() < deadline:
            if not follow(http, headers, state):
                time.sleep(0.1)
        assert wait_until(lambda: replayed(topology.primary, topology.standby), 10)
        truth = http.get("/share/v1/stations", headers=headers).json()["features"]
    assert errors == []
    assert read_while_writing > 10, "the partner must have followed the feed while writers were writing"
    assert state["served_by"].count("replica-1") > len(state["served_by"]) / 3
    committed = [seq for commit in log.commits for seq in commit]
    assert committed != sorted(committed), "some transactions must have committed out of seq order"
    got = [
        (e["op"], e["station_id"], e["station"]["revision"] if e["station"] else None)
        for e in state["events"]
    ]
    assert got == expected_events(engine)
    assert len({e["cursor"] for e in state["events"]}) == len(state["events"])
    assert {f["id"]: f["properties"] | {"location": f["geometry"]} for f in truth} == state["copy"]
    engine.dispose()
