"""Issuing WIGOS identifiers under concurrency: threads through a real uvicorn and a committed database.

Many requests at once for the next identifier of one block must each get a different one, every one
recorded in the ledger; requests for the same explicit identifier leave exactly one winner.
"""

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from domain.db.engine import sqlalchemy_url
from tests.reliability.support import Keys, Server, add_station

pytestmark = pytest.mark.slow
THREADS = 8


@pytest.fixture(scope="module")
def block(server: Server, keys: Keys) -> Iterator[int]:
    response = httpx.post(
        server.base + "/api/v1/wigos/issue-numbers",
        json={"number": 777, "organization": keys.org, "network": "concurrency test"},
        headers=keys.headers("admin"),
    )
    assert response.status_code in (201, 409), response.text
    yield 777


def _at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_requests_never_get_the_same_identifier(
    server: Server, keys: Keys, rel_url: str, block: int
) -> None:
    stations = [add_station(rel_url) for _ in range(THREADS)]

    def issue(station_id: str) -> Callable[[], httpx.Response]:
        url = f"{server.base}/api/v1/stations/{station_id}/wigos-ids"
        return lambda: httpx.post(
            url, json={"issue_number": block}, headers=keys.headers("editor"), timeout=30
        )

    responses = _at_once([issue(s["id"]) for s in stations])
    assert [r.status_code for r in responses] == [201] * THREADS, [r.text for r in responses]
    issued = [r.json()["wsi"] for r in responses]
    assert len(set(issued)) == THREADS and all(w.startswith(f"0-704-{block}-") for w in issued)
    engine = create_engine(sqlalchemy_url(rel_url))
    with engine.connect() as conn:
        ledger = dict(conn.execute(text("SELECT wsi, station_id::text FROM wigos_issued_id")).all())
        held = dict(conn.execute(text("SELECT wsi, station_id::text FROM station_wigos_id")).all())
    engine.dispose()
    for response in responses:
        body = response.json()
        assert ledger[body["wsi"]] == body["station_id"] == held[body["wsi"]]


def test_concurrent_requests_for_one_identifier_leave_one_winner(
    server: Server, keys: Keys, rel_url: str, block: int
) -> None:
    stations = [add_station(rel_url) for _ in range(THREADS)]
    wanted = f"0-704-{block}-X42"

    def ask(station_id: str) -> Callable[[], httpx.Response]:
        url = f"{server.base}/api/v1/stations/{station_id}/wigos-ids"
        return lambda: httpx.post(url, json={"wsi": wanted}, headers=keys.headers("editor"), timeout=30)

    responses = _at_once([ask(s["id"]) for s in stations])
    assert Counter(r.status_code for r in responses) == Counter({201: 1, 409: THREADS - 1}), [
        r.text for r in responses
    ]
    assert all(
        r.headers["content-type"] == "application/problem+json" for r in responses if r.status_code == 409
    )
