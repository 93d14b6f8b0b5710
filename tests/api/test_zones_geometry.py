"""Bad zone geometries over HTTP: a 422 problem+json saying what is wrong and where, and nothing stored."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from domain.zone.rules import MAX_VERTICES
from tests.factories import make_key
from tests.factories_zones import zone_feature

PROBLEM = "application/problem+json"
SQUARE = [[105.0, 20.0], [106.0, 20.0], [106.0, 21.0], [105.0, 21.0], [105.0, 20.0]]


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    return make_key(db, "NCHMF", Role.admin)


def _post(client: TestClient, admin: dict[str, str], geometry: Any) -> dict[str, Any]:
    r = client.post("/api/v1/zones", json=zone_feature(code="test-bad", geometry=geometry), headers=admin)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    assert client.get("/api/v1/zones/test-bad", headers=admin).status_code == 404
    return dict(r.json())


def test_self_intersection_names_its_location(client: TestClient, admin: dict[str, str]) -> None:
    bowtie = [[105.0, 20.0], [106.0, 21.0], [106.0, 20.0], [105.0, 21.0], [105.0, 20.0]]
    body = _post(client, admin, {"type": "Polygon", "coordinates": [bowtie]})
    assert body["type"].endswith("/self-intersection")
    assert body["location"] == [105.5, 20.5]
    assert "Self-intersection at longitude 105.5, latitude 20.5" in body["detail"]
    assert body["pointer"] == "#/geometry/coordinates"


def test_unclosed_ring_names_the_ring(client: TestClient, admin: dict[str, str]) -> None:
    body = _post(client, admin, {"type": "Polygon", "coordinates": [SQUARE[:-1]]})
    assert body["type"].endswith("/ring-not-closed")
    assert body["pointer"] == "#/geometry/coordinates/0" and body["location"] == [105.0, 20.0]


def test_wrong_geometry_type_names_the_type(client: TestClient, admin: dict[str, str]) -> None:
    body = _post(client, admin, {"type": "LineString", "coordinates": SQUARE})
    assert body["type"].endswith("/wrong-geometry-type")
    assert body["pointer"] == "#/geometry/type" and "'LineString'" in body["detail"]


def test_coordinate_out_of_range_names_the_position(client: TestClient, admin: dict[str, str]) -> None:
    ring = [list(p) for p in SQUARE]
    ring[3] = [105.0, 95.0]
    body = _post(client, admin, {"type": "Polygon", "coordinates": [ring]})
    assert body["type"].endswith("/coordinate-out-of-range")
    assert body["pointer"] == "#/geometry/coordinates/0/3" and "latitude 95.0" in body["detail"]


def test_empty_geometry_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    body = _post(client, admin, {"type": "MultiPolygon", "coordinates": []})
    assert body["type"].endswith("/empty-geometry")


def test_enormous_geometry_says_how_big(client: TestClient, admin: dict[str, str]) -> None:
    big = [[95.0, 0.0], [125.0, 0.0], [125.0, 30.0], [95.0, 30.0], [95.0, 0.0]]
    body = _post(client, admin, {"type": "Polygon", "coordinates": [big]})
    assert body["type"].endswith("/geometry-too-large") and body["area_km2"] > 2_000_000


def test_geometry_outside_the_service_area_says_where(client: TestClient, admin: dict[str, str]) -> None:
    manila = [[120.5, 14.0], [121.5, 14.0], [121.5, 15.0], [120.5, 15.0], [120.5, 14.0]]
    body = _post(client, admin, {"type": "Polygon", "coordinates": [manila]})
    assert body["type"].endswith("/zone-outside-service-area")
    lon, lat = body["location"]
    assert 120.5 <= lon <= 121.5 and 14.0 <= lat <= 15.0


def test_too_many_vertices_names_the_limit(client: TestClient, admin: dict[str, str]) -> None:
    n = MAX_VERTICES + 1
    ring = [[round(105.0 + i / n, 7), 20.0] for i in range(n)] + [[106.0, 21.0], [105.0, 20.0]]
    body = _post(client, admin, {"type": "Polygon", "coordinates": [ring]})
    assert body["type"].endswith("/too-many-vertices") and body["limit"] == MAX_VERTICES


def test_missing_geometry_is_a_validation_error_naming_it(client: TestClient, admin: dict[str, str]) -> None:
    body = zone_feature()
    del body["geometry"]
    r = client.post("/api/v1/zones", json=body, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert "#/geometry" in [e["pointer"] for e in r.json()["errors"]]


def test_body_that_is_not_a_feature_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    body = zone_feature() | {"type": "FeatureCollection"}
    r = client.post("/api/v1/zones", json=body, headers=admin)
    assert r.status_code == 422 and "#/type" in [e["pointer"] for e in r.json()["errors"]]


def test_bad_geometry_in_a_patch_leaves_the_zone_unchanged(client: TestClient, admin: dict[str, str]) -> None:
    client.post("/api/v1/zones", json=zone_feature(code="test-keep"), headers=admin)
    bowtie = [[105.0, 20.0], [106.0, 21.0], [106.0, 20.0], [105.0, 21.0], [105.0, 20.0]]
    r = client.patch(
        "/api/v1/zones/test-keep",
        json={"geometry": {"type": "Polygon", "coordinates": [bowtie]}, "properties": {"name": "x"}},
        headers=admin | {"If-Match": '"r1"'},
    )
    assert r.status_code == 422 and r.json()["type"].endswith("/self-intersection")
    kept = client.get("/api/v1/zones/test-keep", headers=admin).json()
    assert kept["properties"]["revision"] == 1 and kept["properties"]["name"] != "x"
