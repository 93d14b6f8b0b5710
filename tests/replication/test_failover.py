"""The failover drill: writes go on through an API node, the primary dies, the standby is promoted and
an API node pointed at it finds every write that was acknowledged.

Replication is made synchronous for the drill (a commit is acknowledged once the standby has its
WAL on disk): with asynchronous replication, the default, a crash may lose the last moments of
writes, which is the trade the README describes. The primary is killed (`pg_ctl -m immediate`, no
shutdown checkpoint, no last WAL sent), not shut down cleanly.
"""

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.factories import station_body
from tests.reliability.support import make_keys, wait_until
from tests.replication.conftest import DATABASE, create_database
from tests.replication.support import api_node, make_synchronous, primary_cluster, replayed, standby_of

pytestmark = pytest.mark.slow


def write_until(
    base: str, headers: dict[str, str], stop: threading.Event, acknowledged: list[tuple[str, str]]
) -> None:
    """Register stations one after another until told to stop; keep (id, ETag) of each 201."""
    with httpx.Client(base_url=base, timeout=10) as http:
        n = 0
        while not stop.is_set():
            n += 1
            body = station_body(owner="RELA", national_code=f"FO-{n:05d}", name=f"Trạm diễn tập {n}")
            try:
                r = http.post("/api/v1/stations", json=body, headers=headers)
            except httpx.HTTPError:
                continue
            if r.status_code == 201:
                acknowledged.append((r.json()["id"], r.headers["ETag"]))
            else:
                time.sleep(0.05)  # the primary is gone: 503 until the drill stops us


def test_failover_to_the_promoted_standby_loses_no_acknowledged_write(tmp_path: Path) -> None:
    with primary_cluster() as primary:
        create_database(primary)
        keys = make_keys(primary.url(DATABASE))
        headers = keys.headers("admin")
        with standby_of(primary) as standby:
            assert wait_until(lambda: replayed(primary, standby), 30)
            make_synchronous(primary)
            env = {
                "HYDROMET_DATABASE_URL": primary.url(DATABASE),
                "HYDROMET_DATABASE_READ_URLS": standby.url(DATABASE),
            }
            acknowledged: list[tuple[str, str]] = []
            with api_node(tmp_path, **env) as old_node:
                stop = threading.Event()
                thread = threading.Thread(
                    target=write_until, args=(old_node.base, headers, stop, acknowledged)
                )
                thread.start()
                time.sleep(2.0)
                primary.stop("immediate")  # the crash
                time.sleep(0.5)
                stop.set()
                thread.join()
                # reads through the old node still answer from the standby while the primary is down
                r = httpx.get(
                    old_node.base + f"/api/v1/stations/{acknowledged[0][0]}", headers=headers, timeout=10
                )
                assert r.status_code == 200 and r.headers["X-Database"] == "replica-1"
            standby.promote()
            with api_node(tmp_path, HYDROMET_DATABASE_URL=standby.url(DATABASE)) as new_node:
                with httpx.Client(base_url=new_node.base, timeout=10, headers=headers) as http:
                    found = [http.get(f"/api/v1/stations/{sid}") for sid, _ in acknowledged]
                    after = http.post(
                        "/api/v1/stations", json=station_body(owner="RELA", national_code="FO-AFTER")
                    )
    assert len(acknowledged) > 10, "the drill must have written before the crash"
    assert [r.status_code for r in found] == [200] * len(acknowledged)
    assert [r.headers["ETag"] for r in found] == [etag for _, etag in acknowledged]
    assert after.status_code == 201, after.text
