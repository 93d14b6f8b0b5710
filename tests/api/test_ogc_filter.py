"""OGC API - Features Part 3: CQL2 filters on /ogc, /api/v1/stations and /share/v1/stations."""

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import DA_NANG, HANOI, HCMC, HUE, make_key, make_station
from tests.factories_sharing import make_partner

ITEMS = "/ogc/collections/stations/items"
F3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
CQL = "http://www.opengis.net/spec/cql2/1.0/conf/"


def at(point: tuple[float, float]) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(point)}


@pytest.fixture
def world(db: Session) -> dict[str, uuid.UUID]:
    def put(name: str, point: tuple[float, float], **kw: Any) -> uuid.UUID:
        return make_station(db, "NCHMF", name=name, location=at(point), **kw).id

    stations = {
        "hanoi": put("Trạm Láng Hà Nội", HANOI, elevation_m=6.0, network="national", station_types=["synoptic"]),
        "hue": put("Trạm Huế", HUE, elevation_m=17.0, river="Hương", station_types=["hydrological"]),
        "danang": put("Trạm Đà Nẵng", DA_NANG, elevation_m=7.0, station_types=["rain_gauge", "synoptic"]),
        "saigon": put("Trạm Tân Sơn Hòa", HCMC, elevation_m=None, data_policy="recommended"),
        "secret": put("Trạm Bí Mật Quân Sự", (105.80, 21.00), elevation_m=9.0, data_policy="restricted"),
    }  # fmt: skip
    db.commit()
    return stations


def ids(body: dict[str, Any]) -> set[str]:
    return {f["id"] for f in body["features"]}


def get(client: TestClient, params: dict[str, str], **kw: Any) -> dict[str, Any]:
    r = client.get(ITEMS, params=params | {"limit": "100"}, **kw)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def named(world: dict[str, uuid.UUID], *keys: str) -> set[str]:
    return {str(world[k]) for k in keys}


def test_conformance_declares_filter_queryables_and_cql2_classes(client: TestClient) -> None:
    conforms = set(client.get("/ogc/conformance").json()["conformsTo"])
    assert {F3 + "filter", F3 + "features-filter", F3 + "queryables"} <= conforms
    assert {CQL + c for c in ("cql2-text", "cql2-json", "basic-cql2", "advanced-comparison-operators",
                              "case-insensitive-comparison", "accent-insensitive-comparison",
                              "basic-spatial-functions", "spatial-functions", "array-functions")} <= conforms  # fmt: skip


def test_queryables_are_a_json_schema_of_what_a_filter_may_name(client: TestClient) -> None:
    r = client.get("/ogc/collections/stations/queryables")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/schema+json"
    body = r.json()
    assert body["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert body["$id"] == "http://testserver/ogc/collections/stations/queryables"
    assert body["additionalProperties"] is False
    assert body["properties"]["geometry"]["format"] == "geometry-point"
    assert body["properties"]["updated_at"] == {"title": "updated_at", "type": "string", "format": "date-time",
                                                 "description": "When the station last changed"}  # fmt: skip
    assert "national" in body["properties"]["network"]["enum"]
    zones = client.get("/ogc/collections/zones/queryables").json()
    assert zones["properties"]["geometry"]["format"].startswith("geometry-")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("elevation_m > 6.5", ("hue", "danang")),
        ("elevation_m BETWEEN 6 AND 7", ("hanoi", "danang")),
        ("elevation_m IS NULL", ("saigon",)),
        ("name = 'Trạm Huế'", ("hue",)),
        ("name LIKE 'Trạm Đà%'", ("danang",)),
        ("CASEI(name) LIKE CASEI('%HUẾ')", ("hue",)),
        ("ACCENTI(CASEI(name)) LIKE ACCENTI('%da nang%')", ("danang",)),
        ("ACCENTI(CASEI(name)) = ACCENTI(CASEI('TRẠM HUẾ'))", ("hue",)),
        ("network IN ('national') OR river = 'Hương'", ("hanoi", "hue")),
        ("NOT (network = 'specialized')", ("hanoi",)),
        ("A_OVERLAPS(station_types, ('synoptic'))", ("hanoi", "danang")),
        ("A_CONTAINS(station_types, ('rain_gauge', 'synoptic'))", ("danang",)),
        ("updated_at > TIMESTAMP('2000-01-01T00:00:00Z') AND data_policy = 'recommended'", ("saigon",)),
        ("S_INTERSECTS(geometry, BBOX(105, 20, 109, 17))", ()),
        ("S_INTERSECTS(geometry, BBOX(107, 15.5, 109, 17))", ("hue", "danang")),
        ("S_WITHIN(geometry, POLYGON((105 20, 106.5 20, 106.5 22, 105 22, 105 20)))", ("hanoi",)),
        ("S_DISJOINT(geometry, POLYGON((105 20, 106.5 20, 106.5 22, 105 22, 105 20)))", ("hue", "danang", "saigon")),
        ("S_EQUALS(geometry, POINT(107.59 16.46))", ("hue",)),
    ],
)  # fmt: skip
def test_cql2_text_filter_returns_exactly_the_matching_public_stations(
    client: TestClient, world: dict[str, uuid.UUID], text: str, expected: tuple[str, ...]
) -> None:
    assert ids(get(client, {"filter": text})) == named(world, *expected)


def test_cql2_json_filter_gives_the_same_result_as_its_text_form(
    client: TestClient, world: dict[str, uuid.UUID]
) -> None:
    tree = {"op": "and", "args": [
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [107, 15.5, 109, 17]}]},
        {"op": ">", "args": [{"property": "elevation_m"}, 10]}]}  # fmt: skip
    body = get(client, {"filter": json.dumps(tree), "filter-lang": "cql2-json"})
    assert ids(body) == named(world, "hue")
    assert body["numberMatched"] == 1


def test_filter_combines_with_bbox(client: TestClient, world: dict[str, uuid.UUID]) -> None:
    body = get(client, {"filter": "elevation_m < 10", "bbox": "107,15,109,17"})
    assert ids(body) == named(world, "danang")


def test_filter_crs_reads_the_filter_geometry_in_vn2000_utm(
    client: TestClient, world: dict[str, uuid.UUID]
) -> None:
    # Hue (107.59E 16.46N) lies near E 777 km, N 1822 km in VN-2000 / UTM 48N
    box = "POLYGON((770000 1815000, 785000 1815000, 785000 1830000, 770000 1830000, 770000 1815000))"
    params = {
        "filter": f"S_INTERSECTS(geometry, {box})",
        "filter-crs": "http://www.opengis.net/def/crs/EPSG/0/3405",
    }
    assert ids(get(client, params)) == named(world, "hue")


@pytest.mark.parametrize(
    ("params", "pointer", "says"),
    [
        ({"filter": "nmae = 'x'"}, "/args/0", "unknown property 'nmae'"),
        ({"filter": "elevation_m = 'high'"}, "/", "type mismatch"),
        ({"filter": "updated_at > 5"}, "/", "type mismatch"),
        ({"filter": "name = "}, "/", "not valid cql2-text"),
        ({"filter": "S_INTERSECTS(name, POINT(1 2))"}, "/args/0", "argument 0 is a string"),
        ({"filter": '{"op": "=", "args": [{"property": "x"}, 1]}', "filter-lang": "cql2-json"}, "/args/0", "unknown property 'x'"),
        ({"filter": "{not json", "filter-lang": "cql2-json"}, "/", "not valid cql2-json"),
        ({"filter": "S_INTERSECTS(geometry, POINT(500000 2000000))"}, "/args/1", "outside longitude/latitude"),
        ({"filter": "S_INTERSECTS(geometry, POLYGON((105 20, 106 21, 106 20, 105 21, 105 20)))"}, "/args/1", "invalid: Self-intersection"),
    ],
)  # fmt: skip
def test_bad_filter_is_a_400_problem_pointing_at_the_problem(
    client: TestClient, params: dict[str, str], pointer: str, says: str
) -> None:
    r = client.get(ITEMS, params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["parameter"] == "filter" and body["pointer"] == pointer
    assert says in body["detail"]


def test_bad_filter_lang_is_a_400_naming_it(client: TestClient) -> None:
    r = client.get(ITEMS, params={"filter": "name = 'x'", "filter-lang": "sql"})
    assert r.status_code == 400 and r.json()["parameter"] == "filter-lang"


def test_injection_attempts_are_values_never_sql(
    client: TestClient, world: dict[str, uuid.UUID], db: Session
) -> None:
    for text in ("name = 'x'' OR ''1''=''1'", "name = 'x''; DROP TABLE station; --'",
                 "name LIKE '%'') OR 1=1 --'"):  # fmt: skip
        assert ids(get(client, {"filter": text})) == set()
    r = client.get(ITEMS, params={"filter": "name = 'x' OR 1=1; DROP TABLE station"})
    assert r.status_code == 400
    assert client.get(ITEMS, params={"filter": "\"name\" = 'Trạm Huế'"}).json()["numberReturned"] == 1


def test_filter_never_reveals_a_restricted_station(
    client: TestClient, world: dict[str, uuid.UUID], db: Session
) -> None:
    partner = make_partner(db, grant={"data_policies": ["core", "recommended"]})
    for text in ("name = 'Trạm Bí Mật Quân Sự'", "S_EQUALS(geometry, POINT(105.8 21))",
                 "S_INTERSECTS(geometry, BBOX(105.79, 20.99, 105.81, 21.01))", "data_policy = 'restricted'"):  # fmt: skip
        for headers in ({}, partner):
            body = get(client, {"filter": text}, headers=headers)
            assert body["features"] == [] and body["numberMatched"] == 0
        shared = client.get("/share/v1/stations", params={"filter": text}, headers=partner).json()
        assert shared["features"] == []


def test_the_same_filter_works_on_the_registry_and_share_lists(
    client: TestClient, world: dict[str, uuid.UUID], db: Session
) -> None:
    text = "S_INTERSECTS(geometry, BBOX(107, 15.5, 109, 17)) AND elevation_m > 10"
    admin = make_key(db, "NCHMF", Role.admin)
    registry = client.get("/api/v1/stations", params={"filter": text}, headers=admin)
    assert registry.status_code == 200, registry.text
    assert {s["id"] for s in registry.json()["items"]} == named(world, "hue")
    partner = make_partner(db, grant={"data_policies": ["core", "recommended"]})
    shared = client.get("/share/v1/stations", params={"filter": text}, headers=partner)
    assert ids(shared.json()) == named(world, "hue")
    bad = client.get("/api/v1/stations", params={"filter": "nmae = 1"}, headers=admin)
    assert bad.status_code == 400 and bad.json()["pointer"] == "/args/0"


def test_admin_filter_on_the_registry_sees_restricted_but_a_viewer_of_another_org_does_not(
    client: TestClient, world: dict[str, uuid.UUID], db: Session
) -> None:
    text = "name = 'Trạm Bí Mật Quân Sự'"
    admin = make_key(db, "NCHMF", Role.admin)
    viewer = make_key(db, "OTHER", Role.viewer)
    assert len(client.get("/api/v1/stations", params={"filter": text}, headers=admin).json()["items"]) == 1
    assert client.get("/api/v1/stations", params={"filter": text}, headers=viewer).json()["items"] == []
