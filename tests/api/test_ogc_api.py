"""OGC API - Features under /ogc: landing, conformance, OpenAPI 3.0, collections, items, one item."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR
from sqlmodel import Session

from domain.db.spatial import from_geojson
from domain.sharing import ogc
from domain.zone.models import PriorityZone
from tests.factories import DA_NANG, HCMC, HUE, make_station
from tests.factories_sharing import make_partner

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


def square(lon: float, lat: float, half: float) -> dict[str, Any]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
    ]
    return {"type": "MultiPolygon", "coordinates": [[ring + [ring[0]]]]}


@pytest.fixture
def world(db: Session) -> dict[str, uuid.UUID]:
    def at(point: tuple[float, float], **kw: Any) -> uuid.UUID:
        return make_station(db, "NCHMF", location={"type": "Point", "coordinates": list(point)}, **kw).id

    stations = {
        "hanoi": at((105.85, 21.03)),
        "hue": at(HUE, data_policy="recommended"),
        "danang": at(DA_NANG, network="national", station_types=["synoptic"]),
        "saigon": at(HCMC),
        "restricted": at(DA_NANG, data_policy="restricted"),
        "closed": at(HUE, status="closed"),
    }
    db.add(
        PriorityZone(
            code="Z-CENTRAL", name="Miền Trung", category="coastal", geom=from_geojson(square(*HUE, 1.0))
        )
    )
    db.add(PriorityZone(code="Z-SOUTH", name="Nam Bộ", category="disaster_prone", hazard="flood",
                        geom=from_geojson(square(*HCMC, 0.5))))  # fmt: skip
    db.commit()
    return stations


def ids(body: dict[str, Any]) -> set[str]:
    return {f["id"] for f in body["features"]}


def public(world: dict[str, uuid.UUID]) -> set[str]:
    return {str(world[k]) for k in ("hanoi", "hue", "danang", "saigon")}


def test_landing_page_links_to_the_definition_conformance_and_data(client: TestClient) -> None:
    body = client.get("/ogc").json()
    rels = {link["rel"]: link for link in body["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["data"]["href"] == "http://testserver/ogc/collections"
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"


def test_conformance_declares_core_geojson_and_oas30(client: TestClient) -> None:
    conforms = client.get("/ogc/conformance").json()["conformsTo"]
    assert CORE in conforms
    assert {c.rsplit("/", 1)[1] for c in conforms} >= {"core", "geojson", "oas30"}


def test_api_definition_is_a_valid_openapi_30_document_declaring_the_limit_maximum(
    client: TestClient,
) -> None:
    r = client.get("/ogc/api")
    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json;version=3.0")
    doc = r.json()
    assert doc["openapi"].startswith("3.0")
    assert list(OPENAPI_30_VALIDATOR.iter_errors(doc)) == []
    assert doc["components"]["parameters"]["limit"]["schema"]["maximum"] == 1000
    assert "/collections/{collectionId}/items" in doc["paths"]


def test_collections_lists_stations_and_zones(client: TestClient) -> None:
    body = client.get("/ogc/collections").json()
    assert [c["id"] for c in body["collections"]] == ["stations", "zones"]
    one = client.get("/ogc/collections/stations").json()
    assert one["itemType"] == "feature" and any(link["rel"] == "items" for link in one["links"])
    missing = client.get("/ogc/collections/rivers")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_items_without_a_key_are_the_public_stations(client: TestClient, world: dict) -> None:
    r = client.get("/ogc/collections/stations/items")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    body = r.json()
    assert ids(body) == public(world)
    assert body["numberMatched"] == body["numberReturned"] == 4
    assert datetime.fromisoformat(body["timeStamp"].replace("Z", "+00:00")) <= datetime.now(UTC)
    assert [link["rel"] for link in body["links"]] == ["self"]


def test_next_links_walk_every_feature_once(client: TestClient, world: dict) -> None:
    seen: list[str] = []
    url: str | None = "/ogc/collections/stations/items?limit=1"
    while url:
        body = client.get(url).json()
        assert body["numberReturned"] == len(body["features"]) <= 1 and body["numberMatched"] == 4
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert sorted(seen) == sorted(public(world))


def test_bbox_selects_features_inside_it(client: TestClient, world: dict) -> None:
    body = client.get("/ogc/collections/stations/items", params={"bbox": "107,15,109,17"}).json()
    assert ids(body) == {str(world["hue"]), str(world["danang"])} and body["numberMatched"] == 2
    six = client.get("/ogc/collections/stations/items", params={"bbox": "107,15,-100,109,17,100"}).json()
    assert ids(six) == ids(body)


def test_datetime_filters_on_the_last_change(client: TestClient, world: dict) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    later = client.get("/ogc/collections/stations/items", params={"datetime": f"{soon}/.."}).json()
    assert later["features"] == [] and later["numberMatched"] == 0
    before = client.get("/ogc/collections/stations/items", params={"datetime": f"../{soon}"}).json()
    assert ids(before) == public(world)


def test_a_limit_above_the_maximum_is_treated_as_the_maximum(client: TestClient, world: dict) -> None:
    body = client.get("/ogc/collections/stations/items", params={"limit": 5000}).json()
    assert body["numberReturned"] == 4


def test_number_matched_is_left_out_when_counting_would_be_expensive(
    client: TestClient, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ogc, "NUMBER_MATCHED_CAP", 3)
    body = client.get("/ogc/collections/stations/items", params={"limit": 2}).json()
    assert "numberMatched" not in body and body["numberReturned"] == 2


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"bbox": "1,2,3"}, "bbox"), ({"bbox": "a,b,c,d"}, "bbox"), ({"bbox": "0,10,5,-10"}, "bbox"),
        ({"limit": "0"}, "limit"), ({"limit": "ten"}, "limit"), ({"datetime": "yesterday"}, "datetime"),
        ({"datetime": "../.."}, "datetime"), ({"cursor": "!!"}, "cursor"), ({"color": "red"}, "color"),
        ({"bbox-crs": "EPSG:3857"}, "bbox-crs"),
    ],
)  # fmt: skip
def test_invalid_or_unknown_parameters_get_400_naming_them(
    client: TestClient, params: dict, name: str
) -> None:
    r = client.get("/ogc/collections/stations/items", params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["parameter"] == name


def test_unsupported_format_gets_400(client: TestClient) -> None:
    r = client.get("/ogc/collections", params={"f": "xml"})
    assert r.status_code == 400 and r.json()["errors"][0]["pointer"] == "#/f"
    assert client.get("/ogc/collections", params={"f": "json"}).status_code == 200


def test_one_item_has_links_and_unseen_ids_get_the_same_404(client: TestClient, world: dict) -> None:
    r = client.get(f"/ogc/collections/stations/items/{world['hue']}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    feature = r.json()
    assert feature["id"] == str(world["hue"]) and feature["properties"]["data_policy"] == "recommended"
    assert {link["rel"] for link in feature["links"]} == {"self", "collection"}
    bodies = []
    for fid in (world["restricted"], world["closed"], uuid.uuid4(), "not-a-uuid"):
        missing = client.get(f"/ogc/collections/stations/items/{fid}")
        assert missing.status_code == 404
        body = missing.json()
        bodies.append({k: str(v).replace(str(fid), "<id>") for k, v in body.items()})
    assert all(b == bodies[0] for b in bodies)


def test_a_partner_key_shows_the_partner_scope(client: TestClient, db: Session, world: dict) -> None:
    partner = make_partner(db, "PARTNER", {"networks": ["national"]})
    body = client.get("/ogc/collections/stations/items", headers=partner).json()
    assert ids(body) == {str(world["danang"])} and body["numberMatched"] == 1
    hidden = client.get(f"/ogc/collections/stations/items/{world['hanoi']}", headers=partner)
    assert hidden.status_code == 404
    lonely = client.get("/ogc/collections/stations/items", headers=make_partner(db, "LONELY"))
    assert lonely.json()["features"] == [] and lonely.json()["numberMatched"] == 0


def test_zones_collection_serves_priority_zones(client: TestClient, world: dict) -> None:
    body = client.get("/ogc/collections/zones/items").json()
    assert ids(body) == {"Z-CENTRAL", "Z-SOUTH"} and body["numberMatched"] == 2
    south = client.get("/ogc/collections/zones/items", params={"bbox": "106,10,107,11"}).json()
    assert ids(south) == {"Z-SOUTH"}
    one = client.get("/ogc/collections/zones/items/Z-SOUTH").json()
    assert one["properties"]["hazard"] == "flood" and one["geometry"]["type"] == "MultiPolygon"
    assert client.get("/ogc/collections/zones/items/Z-NOWHERE").status_code == 404
