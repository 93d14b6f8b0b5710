"""GET /zones/{zone_id}/stations: the stations inside a zone, with the same filters and formats as /stations."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import make_key, make_station
from tests.factories_zones import make_zone

PROBLEM = "application/problem+json"


@pytest.fixture
def viewer(db: Session) -> dict[str, str]:
    make_zone(db, code="test-square")
    for i, (lon, types) in enumerate(
        [(105.2, ["rain_gauge"]), (105.5, ["synoptic"]), (105.8, ["rain_gauge"])]
    ):
        make_station(
            db,
            national_code=f"ZS-{i}",
            location={"type": "Point", "coordinates": [lon, 20.5]},
            station_types=types,
        )
    make_station(db, national_code="ZS-out", location={"type": "Point", "coordinates": [106.5, 20.5]})
    return make_key(db, "MOT", Role.viewer)


def test_zone_stations_lists_only_the_stations_inside(client: TestClient, viewer: dict[str, str]) -> None:
    r = client.get("/api/v1/zones/test-square/stations", headers=viewer)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [s["national_code"] for s in items] == ["ZS-0", "ZS-1", "ZS-2"]
    assert all(s["zones"] == ["test-square"] for s in items)


def test_zone_stations_take_the_station_filters_and_pages(client: TestClient, viewer: dict[str, str]) -> None:
    r = client.get("/api/v1/zones/test-square/stations?type=rain_gauge&limit=1", headers=viewer)
    page = r.json()
    assert [s["national_code"] for s in page["items"]] == ["ZS-0"]
    rest = client.get(page["next"], headers=viewer).json()
    assert [s["national_code"] for s in rest["items"]] == ["ZS-2"] and rest["next"] is None


def test_zone_stations_come_as_geojson_and_csv(client: TestClient, viewer: dict[str, str]) -> None:
    geo = client.get("/api/v1/zones/test-square/stations?f=geojson", headers=viewer)
    assert geo.headers["content-type"] == "application/geo+json"
    assert len(geo.json()["features"]) == 3
    csv = client.get("/api/v1/zones/test-square/stations?f=csv", headers=viewer)
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 4 and "test-square" in csv.text


def test_unknown_zone_is_a_404_problem(client: TestClient, viewer: dict[str, str]) -> None:
    r = client.get("/api/v1/zones/no-such-zone/stations", headers=viewer)
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"].endswith("/zone-not-found")


def test_a_second_zone_in_the_query_is_refused(client: TestClient, viewer: dict[str, str]) -> None:
    r = client.get("/api/v1/zones/test-square/stations?zone=other", headers=viewer)
    assert r.status_code == 400 and r.json()["parameter"] == "zone"


def test_bad_station_filter_names_the_parameter(client: TestClient, viewer: dict[str, str]) -> None:
    r = client.get("/api/v1/zones/test-square/stations?type=volcano", headers=viewer)
    assert r.status_code == 400 and r.headers["content-type"] == PROBLEM and r.json()["parameter"] == "type"


def test_stations_list_filters_by_zone_category_too(client: TestClient, viewer: dict[str, str]) -> None:
    r = client.get("/api/v1/stations?zone_category=coastal", headers=viewer)
    assert [s["national_code"] for s in r.json()["items"]] == ["ZS-0", "ZS-1", "ZS-2"]
