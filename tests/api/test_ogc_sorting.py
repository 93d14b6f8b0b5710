"""sortby= with keyset paging that stays correct through ties, and properties= on OGC items."""

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import HUE, make_station

ITEMS = "/ogc/collections/stations/items"


@pytest.fixture
def stations(db: Session, client: TestClient) -> list[dict[str, Any]]:
    # 3 names, 4 stations each: every page boundary falls inside a run of ties
    for n in range(12):
        make_station(db, "NCHMF", name=["Trạm A", "Trạm B", "Trạm C"][n % 3],
                     location={"type": "Point", "coordinates": [HUE[0] + n / 100, HUE[1]]})  # fmt: skip
    db.commit()
    return [f["properties"] for f in pages(client, {"limit": "100"})]


def pages(client: TestClient, params: dict[str, str]) -> list[dict[str, Any]]:
    """Return every feature, following next links from the first page."""
    r = client.get(ITEMS, params=params)
    found: list[dict[str, Any]] = []
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        found += body["features"]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        if url is None:
            return found
        r = client.get(url)


@pytest.mark.parametrize(
    "sortby", ["+name", "-name", "-updated_at", "created_at", "-national_code", "status"]
)
@pytest.mark.parametrize("limit", ["1", "5"])
def test_paging_a_sorted_list_returns_every_station_once_in_order(
    client: TestClient, stations: list[dict[str, Any]], sortby: str, limit: str
) -> None:
    got = [f["properties"] for f in pages(client, {"sortby": sortby, "limit": limit})]
    key, descending = sortby.lstrip("+-"), sortby.startswith("-")
    expected = sorted(stations, key=lambda s: (s[key], s["national_code"]), reverse=descending)
    assert [s["national_code"] for s in got] == [s["national_code"] for s in expected]


def test_unknown_sort_key_is_a_400_listing_the_sortable_ones(client: TestClient) -> None:
    r = client.get(ITEMS, params={"sortby": "-elevation"})
    assert r.status_code == 400 and r.json()["parameter"] == "sortby"
    assert "name" in r.json()["allowed"]


def test_a_cursor_from_another_sort_is_refused(client: TestClient, stations: list[dict[str, Any]]) -> None:
    body = client.get(ITEMS, params={"sortby": "-name", "limit": "2"}).json()
    cursor = httpx.URL(next(link["href"] for link in body["links"] if link["rel"] == "next")).params["cursor"]
    r = client.get(ITEMS, params={"cursor": cursor, "limit": "2"})
    assert r.status_code == 400 and r.json()["parameter"] == "cursor"


def test_properties_selects_the_returned_fields(client: TestClient, stations: list[dict[str, Any]]) -> None:
    body = client.get(ITEMS, params={"properties": "name,updated_at", "limit": "3"}).json()
    assert all(set(f["properties"]) == {"name", "updated_at"} for f in body["features"])
    assert all(f["geometry"]["type"] == "Point" for f in body["features"])
    assert client.get(ITEMS, params={"properties": "name,secret_field"}).status_code == 400
