"""Coverage over HTTP: summary, gaps (GeoJSON Feature), proposals (FeatureCollection), coverage norms."""

import math

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import shape
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import make_key, make_station
from tests.factories_zones import LAND_SQUARE, geodesic_area_km2, make_zone

GEOJSON = "application/geo+json"
PROBLEM = "application/problem+json"
NORM = {
    "station_type": "rain_gauge",
    "zone_category": "coastal",
    "area_per_station_km2": 900,
    "source": "WMO-No. 168",
}


@pytest.fixture
def viewer(db: Session) -> dict[str, str]:
    make_zone(db, code="test-square")
    make_station(db, location={"type": "Point", "coordinates": [105.5, 20.5]})
    return make_key(db, "MOT", Role.viewer)


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    return make_key(db, "NCHMF", Role.admin)


def test_gaps_answer_a_geojson_feature_with_areas_and_share(
    client: TestClient, viewer: dict[str, str]
) -> None:
    r = client.get("/api/v1/coverage/gaps?zone=test-square&type=rain_gauge&radius_km=20", headers=viewer)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == GEOJSON
    feature = r.json()
    props = feature["properties"]
    area = geodesic_area_km2(LAND_SQUARE)
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "MultiPolygon"
    assert props["zone_area_km2"] == pytest.approx(area, rel=1e-3)
    assert props["uncovered_area_km2"] == pytest.approx(area - math.pi * 400, rel=1e-3)
    assert props["uncovered_share"] == pytest.approx(
        props["uncovered_area_km2"] / props["zone_area_km2"], rel=1e-4
    )
    assert props["stations_counted"] == 1 and props["zones"] == ["test-square"]
    assert shape(feature["geometry"]).is_valid


def test_gaps_with_planned_stations_test_a_scenario(
    client: TestClient, db: Session, viewer: dict[str, str]
) -> None:
    make_station(db, location={"type": "Point", "coordinates": [105.2, 20.2]}, status="planned")
    url = "/api/v1/coverage/gaps?zone_category=coastal&type=rain_gauge&radius_km=20"
    now, planned = (
        client.get(url, headers=viewer).json(),
        client.get(url + "&include_planned=true", headers=viewer).json(),
    )
    assert planned["properties"]["stations_counted"] == now["properties"]["stations_counted"] + 1
    gained = now["properties"]["uncovered_area_km2"] - planned["properties"]["uncovered_area_km2"]
    assert gained == pytest.approx(math.pi * 400, rel=0.01)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("zone=test-square", "type"),
        ("zone=test-square&type=rain_gauge&radius_km=-1", "radius_km"),
        ("zone=test-square&type=rain_gauge&radius_km=abc", "radius_km"),
        ("zone=test-square&type=volcano", "type"),
        ("zone=test-square&zone_category=sea&type=rain_gauge", "zone_category"),
        ("zone_category=volcano&type=rain_gauge", "zone_category"),
        ("zone=test-square&type=rain_gauge&radius=5", "radius"),
    ],
)
def test_bad_gap_queries_get_400_naming_the_parameter(
    client: TestClient, viewer: dict[str, str], query: str, parameter: str
) -> None:
    r = client.get(f"/api/v1/coverage/gaps?{query}", headers=viewer)
    assert r.status_code == 400 and r.headers["content-type"] == PROBLEM
    body = r.json()
    named = [body.get("parameter")] + [e["pointer"].rsplit("/", 1)[-1] for e in body.get("errors", [])]
    assert parameter in named


def test_gaps_of_an_unknown_zone_are_404(client: TestClient, viewer: dict[str, str]) -> None:
    r = client.get("/api/v1/coverage/gaps?zone=nowhere&type=synoptic", headers=viewer)
    assert r.status_code == 404 and r.json()["type"].endswith("/zone-not-found")


def test_proposals_answer_ranked_points_with_the_area_each_adds(
    client: TestClient, viewer: dict[str, str]
) -> None:
    r = client.get(
        "/api/v1/coverage/proposals?zone=test-square&type=rain_gauge&radius_km=20&count=2", headers=viewer
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == GEOJSON
    body = r.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 2
    first = body["features"][0]
    assert first["geometry"]["type"] == "Point" and first["properties"]["rank"] == 1
    assert first["properties"]["added_area_km2"] == pytest.approx(math.pi * 400, rel=0.01)
    assert body["properties"]["placed_on"] == "land" and body["properties"]["count"] == 2


def test_proposals_refuse_a_count_out_of_range(client: TestClient, viewer: dict[str, str]) -> None:
    r = client.get("/api/v1/coverage/proposals?zone=test-square&type=rain_gauge&count=500", headers=viewer)
    assert r.status_code == 400 and r.json()["parameter"] == "count"


def test_summary_lists_each_zone_with_norm_and_deficit(
    client: TestClient, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    client.post("/api/v1/coverage-norms", json=NORM, headers=admin)
    r = client.get("/api/v1/coverage/summary?zone=test-square", headers=viewer)
    assert r.status_code == 200, r.text
    item = r.json()["items"][0]
    assert item["zone_id"] == "test-square" and item["stations_by_type"] == {"rain_gauge": 1}
    norm = item["norms"][0]
    assert norm["required"] == 13 and norm["present"] == 1 and norm["deficit"] == 12
    assert norm["source"] == "WMO-No. 168" and item["deficit"] == 12


def test_coverage_needs_a_key(client: TestClient, viewer: dict[str, str]) -> None:
    r = client.get("/api/v1/coverage/summary")
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM


def test_admin_manages_coverage_norms_with_if_match(
    client: TestClient, admin: dict[str, str], viewer: dict[str, str]
) -> None:
    created = client.post("/api/v1/coverage-norms", json=NORM, headers=admin)
    assert created.status_code == 201, created.text
    norm = created.json()
    assert norm["revision"] == 1 and created.headers["etag"] == '"r1"'
    url = f"/api/v1/coverage-norms/{norm['id']}"
    assert client.get(url, headers=viewer).json() == norm
    assert norm in client.get("/api/v1/coverage-norms", headers=viewer).json()
    assert client.patch(url, json={"spacing_km": 25}, headers=admin).status_code == 428
    changed = client.patch(url, json={"spacing_km": 25}, headers=admin | {"If-Match": '"r1"'})
    assert changed.status_code == 200, changed.text
    assert changed.json()["spacing_km"] == 25 and changed.json()["area_per_station_km2"] is None
    assert client.patch(url, json={"spacing_km": 5}, headers=admin | {"If-Match": '"r1"'}).status_code == 412
    assert client.delete(url, headers=viewer).status_code == 403
    assert client.delete(url, headers=admin).status_code == 204
    assert client.get(url, headers=viewer).status_code == 404


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"spacing_km": 200}, "#/area_per_station_km2"),
        ({"area_per_station_km2": None}, "#/spacing_km"),
        ({"station_type": "volcano_cam"}, "#/station_type"),
        ({"zone_category": "desert"}, "#/zone_category"),
        ({"level": "extreme"}, "#/level"),
        ({"source": ""}, "#/source"),
        ({"area_per_station_km2": -5}, "#/area_per_station_km2"),
    ],
)
def test_bad_norms_get_422_naming_the_field(
    client: TestClient, admin: dict[str, str], change: dict[str, object], pointer: str
) -> None:
    r = client.post("/api/v1/coverage-norms", json=NORM | change, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert pointer in [body.get("pointer")] + [e["pointer"] for e in body.get("errors", [])]


def test_duplicate_norm_is_a_conflict(client: TestClient, admin: dict[str, str]) -> None:
    client.post("/api/v1/coverage-norms", json=NORM, headers=admin)
    again = client.post("/api/v1/coverage-norms", json=NORM, headers=admin)
    assert again.status_code == 409 and again.json()["type"].endswith("/duplicate-coverage-norm")
