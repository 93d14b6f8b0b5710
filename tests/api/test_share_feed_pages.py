"""The change feed's page size: up to 10,000 events a page, streamed; more is refused naming `limit`."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_station
from tests.factories_sharing import make_partner


def test_a_partner_may_ask_for_ten_thousand_events_a_page_but_not_more(
    client: TestClient, db: Session
) -> None:
    headers = make_partner(db, "PARTNER", {})
    stations = [str(make_station(db, "NCHMF").id) for _ in range(3)]
    r = client.get("/share/v1/changes", params={"limit": 10_000}, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert [e["station_id"] for e in r.json()["items"]] == stations
    refused = client.get("/share/v1/changes", params={"limit": 10_001}, headers=headers)
    assert refused.status_code == 400 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["parameter"] == "limit" and "10000" in refused.json()["detail"]


def test_an_idle_poll_returns_the_same_cursor_and_no_events(client: TestClient, db: Session) -> None:
    headers = make_partner(db, "PARTNER", {})
    make_station(db, "NCHMF")
    cursor = client.get("/share/v1/changes", params={"limit": 10_000}, headers=headers).json()["next_cursor"]
    for _ in range(3):
        r = client.get("/share/v1/changes", params={"after": cursor}, headers=headers)
        assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": cursor}
