"""Faults against real servers: the database stops, the server dies mid-change, two editors collide."""

import csv
import io
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from domain.db.engine import libpq_url
from tests.reliability.support import (
    Keys,
    Server,
    add_station,
    create_database,
    make_keys,
    own_cluster,
    run_server,
    wait_until,
)

PROBLEM = "application/problem+json"
NO_HANG_S = 8.0  # a request while the database is down must be answered within this
IMPORT_PATH = "/api/v1/imports/stations"


def race(url: str, etag: str, headers: dict[str, str], names: list[str]) -> dict[str, httpx.Response]:
    """PATCH the same station from two threads at once, both with the same If-Match."""
    barrier = threading.Barrier(len(names))
    results: dict[str, httpx.Response] = {}

    def edit(name: str) -> None:
        with httpx.Client(timeout=30) as client:
            barrier.wait()
            results[name] = client.patch(url, json={"name": name}, headers=headers | {"If-Match": etag})

    threads = [threading.Thread(target=edit, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_editors_updating_the_same_station_exactly_one_wins(
    server: Server, keys: Keys, rel_url: str
) -> None:
    for round_no in range(5):
        station = add_station(rel_url)
        url = f"{server.base}/api/v1/stations/{station['id']}"
        etag = httpx.get(url, headers=keys.headers("editor")).headers["etag"]
        names = [f"Trạm A{round_no}", f"Trạm B{round_no}"]
        results = race(url, etag, keys.headers("editor"), names)
        statuses = sorted(r.status_code for r in results.values())
        assert statuses == [200, 412], {n: (r.status_code, r.text) for n, r in results.items()}
        winner = next(n for n, r in results.items() if r.status_code == 200)
        loser = results[next(n for n in names if n != winner)]
        assert loser.headers["content-type"].startswith(PROBLEM)
        assert loser.json()["status"] == 412 and loser.json()["type"].endswith("/precondition-failed")
        final = httpx.get(url, headers=keys.headers("editor"))
        assert final.json()["name"] == winner and final.json()["revision"] == 2
        history = httpx.get(url + "/history", headers=keys.headers("editor")).json()["items"]
        assert len(history) == 2


@contextmanager
def inserts_blocked(url: str, table: str) -> Iterator[psycopg.Connection[Any]]:
    """Hold a SHARE lock on `table` (reads pass, inserts wait) until the block ends."""
    conn = psycopg.connect(libpq_url(url))
    try:
        conn.execute(f"LOCK TABLE {table} IN SHARE MODE")
        yield conn
    finally:
        conn.rollback()
        conn.close()


def writer_waiting_on_lock(url: str) -> bool:
    """Return True when a server backend has written in its transaction and now waits on a lock."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'hydromet' AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL"
        ).fetchone()
    return bool(row and row[0])


def server_backends_gone(url: str) -> bool:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'hydromet' AND state <> 'idle'"
        ).fetchone()
    return bool(row and row[0] == 0)


def kill_while_writing(server: Server, url: str, table: str, send: Any) -> None:
    """Send a write, wait until it has written part of its transaction, kill -9 the server."""
    with inserts_blocked(url, table):
        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        assert wait_until(lambda: writer_waiting_on_lock(url), 30), server.log()[-3000:]
        server.kill()
    thread.join(30)
    # the backend notices its client is gone the next time it talks to it, and rolls back
    assert wait_until(lambda: server_backends_gone(url), 30)


def station_rows(url: str, station_id: str) -> tuple[Any, ...]:
    with psycopg.connect(libpq_url(url)) as conn:
        station = conn.execute(
            "SELECT name, revision, updated_at FROM station WHERE id = %s", (station_id,)
        ).fetchone()
        wsis = conn.execute(
            "SELECT count(*) FROM station_wigos_id WHERE station_id = %s", (station_id,)
        ).fetchone()
        revisions = conn.execute(
            "SELECT count(*) FROM station_revision WHERE station_id = %s", (station_id,)
        ).fetchone()
    return station, wsis, revisions


def test_server_killed_during_a_multi_row_change_leaves_nothing_partial(
    rel_url: str, keys: Keys, tmp_path: Path
) -> None:
    station = add_station(rel_url)
    before = station_rows(rel_url, station["id"])
    with run_server(rel_url, tmp_path) as server:
        url = f"{server.base}/api/v1/stations/{station['id']}"
        etag = httpx.get(url, headers=keys.headers("editor")).headers["etag"]
        change = {"name": "Tên mới", "wigos_ids": [f"0-704-9-{uuid.uuid4().hex[:8]}"], "reason": "kill test"}

        def send() -> None:
            try:
                httpx.patch(url, json=change, headers=keys.headers("editor") | {"If-Match": etag}, timeout=60)
            except httpx.HTTPError:
                pass  # the server died under the request, as intended

        # the station row and its WIGOS ids are written first; the revision insert then waits
        kill_while_writing(server, rel_url, "station_revision", send)
    assert station_rows(rel_url, station["id"]) == before


def import_csv(rows: int, tag: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["national_code", "name", "network", "station_types", "automation", "latitude", "longitude"]
    )
    for i in range(rows):
        lat, lon = 20.6 + (i % 40) * 0.015, 105.7 + (i // 40) * 0.05  # the Red River delta
        writer.writerow(
            [f"{tag}-{i:05d}", f"Trạm nhập {i}", "specialized", "rain_gauge", "automatic", lat, lon]
        )
    return out.getvalue()


def import_request(server: Server, text: str) -> dict[str, Any]:
    """Return httpx keyword arguments for the import endpoint, as its OpenAPI document declares it."""
    spec = httpx.get(server.base + "/openapi.json").json()
    body = spec["paths"][IMPORT_PATH]["post"].get("requestBody", {}).get("content", {})
    if "multipart/form-data" in body and "text/csv" not in body:
        ref = body["multipart/form-data"]["schema"].get("$ref", "")
        schema = (
            spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
            if ref
            else body["multipart/form-data"]["schema"]
        )
        field = next(iter(schema.get("properties", {"file": {}})))
        return {"files": {field: ("stations.csv", text.encode(), "text/csv")}}
    return {"content": text.encode(), "headers": {"Content-Type": "text/csv"}}


def test_server_killed_during_an_import_leaves_no_station_of_it(
    rel_url: str, keys: Keys, tmp_path: Path
) -> None:
    tag = f"KILL{uuid.uuid4().hex[:4].upper()}"
    with run_server(rel_url, tmp_path) as server:
        if IMPORT_PATH not in httpx.get(server.base + "/openapi.json").json()["paths"]:
            pytest.skip(f"{IMPORT_PATH} is not served yet")
        request = import_request(server, import_csv(300, tag))
        headers = keys.headers("admin") | request.pop("headers", {})

        def send() -> None:
            try:
                httpx.post(server.base + IMPORT_PATH, headers=headers, timeout=120, **request)
            except httpx.HTTPError:
                pass

        kill_while_writing(server, rel_url, "station_revision", send)
    with psycopg.connect(libpq_url(rel_url)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM station WHERE national_code LIKE %s", (tag + "-%",)
        ).fetchone()
    assert row == (0,)


@pytest.mark.slow
def test_database_outage_gives_fast_503_and_the_service_recovers_by_itself(tmp_path: Path) -> None:
    with own_cluster() as cluster:
        url = create_database("outage", cluster.server_url)
        keys = make_keys(url)
        add_station(url)
        with run_server(url, tmp_path, HYDROMET_DB_CONNECT_TIMEOUT_S="2") as server:
            answers = outage_answers(server, keys, cluster)
            assert server.proc.poll() is None  # no restart: the same process answers again
        down = [a for a in answers if a["phase"] == "down"]
        assert down, "no request was sent while the database was down"
        assert max(a["seconds"] for a in answers) < NO_HANG_S, [
            a for a in answers if a["seconds"] >= NO_HANG_S
        ]
        assert {a["status"] for a in answers} <= {200, 503}, [
            a for a in answers if a["status"] not in (200, 503)
        ]
        for answer in down:
            assert answer["status"] == 503, answer
            assert answer["type"].startswith(PROBLEM), answer
            assert answer["body"]["type"].endswith("/database-unavailable"), answer
            assert answer["retry_after"] is not None
        assert [a for a in answers if a["phase"] == "back"][-1]["status"] == 200


def keep_asking(server: Server, keys: Keys, phase: list[str], stop: threading.Event) -> list[dict[str, Any]]:
    """Send GETs one after another until told to stop; return what each got, in which phase."""
    answers: list[dict[str, Any]] = []
    paths = ["/api/v1/stations?limit=5", "/api/v1/organizations", "/api/v1/stations?q=tram"]
    with httpx.Client(base_url=server.base, headers=keys.headers("admin"), timeout=30) as client:
        while not stop.is_set():
            started, path, current = time.monotonic(), paths[len(answers) % len(paths)], phase[0]
            r = client.get(path)
            is_json = r.headers.get("content-type", "").startswith(("application/json", PROBLEM))
            answers.append({
                "phase": current, "path": path, "status": r.status_code, "seconds": time.monotonic() - started,
                "type": r.headers.get("content-type", ""), "body": r.json() if is_json else {},
                "retry_after": r.headers.get("retry-after"),
            })  # fmt: skip
            time.sleep(0.05)
    return answers


def outage_answers(server: Server, keys: Keys, cluster: Any) -> list[dict[str, Any]]:
    """Send requests while the cluster stops, stays down and comes back; return what each got."""
    phase, stop, answers = ["up"], threading.Event(), []
    workers = [
        threading.Thread(target=lambda: answers.extend(keep_asking(server, keys, phase, stop)), daemon=True)
        for _ in range(3)
    ]
    for w in workers:
        w.start()
    time.sleep(1.5)
    phase[0] = "stopping"
    cluster.stop("fast")
    phase[0] = "down"
    time.sleep(4)
    health = httpx.get(server.base + "/health", timeout=30)
    assert health.status_code == 503 and health.json()["database"] == "unreachable"
    phase[0] = "restarting"
    cluster.start()
    phase[0] = "back"
    stations = server.base + "/api/v1/stations?limit=1"
    recovered = wait_until(lambda: httpx.get(stations, headers=keys.headers("admin")).status_code == 200, 30)
    time.sleep(1)
    stop.set()
    for w in workers:
        w.join(30)
    assert recovered, server.log()[-3000:]
    return answers
