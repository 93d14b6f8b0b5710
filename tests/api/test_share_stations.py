"""The partner's view /share/v1/stations: scope, formats (GeoJSON, CSV, WMDR), ETags, identical 404s."""

import csv
import io
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlmodel import Session

from domain.access.models import Role
from domain.sharing import service as sharing_service
from tests.factories import DA_NANG, HCMC, make_key, make_station
from tests.factories_sharing import make_partner
from tests.unit.test_wmdr import NS, CatalogResolver

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wmdr"
GRANT = {
    "networks": ["national"],
    "station_types": ["synoptic", "hydrological"],
    "provinces": ["VN-HN", "VN-DN"],
}


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(CatalogResolver(FIXTURES / "schemas" / "catalog.xml"))
    return etree.XMLSchema(etree.parse(str(FIXTURES / "wmdr-1.0.xsd"), parser))


def national(db: Session, **overrides: object) -> uuid.UUID:
    body: dict[str, object] = {"network": "national", "station_types": ["synoptic"]} | overrides
    return make_station(db, "NCHMF", **body).id


@pytest.fixture
def world(db: Session) -> dict[str, uuid.UUID]:
    """Stations in and out of the grant's scope, by the reason they are out."""
    return {
        "hanoi": national(db, name="Trạm Láng", wigos_ids=["0-704-0-48820"]),
        "danang": national(
            db, location={"type": "Point", "coordinates": list(DA_NANG)}, data_policy="recommended"
        ),
        "hydro": national(db, station_types=["hydrological", "rain_gauge"], river="Sông Hồng"),
        "saigon": national(db, location={"type": "Point", "coordinates": list(HCMC)}),
        "specialized": national(db, network="specialized"),
        "rain_only": national(db, station_types=["rain_gauge"]),
        "restricted": national(db, data_policy="restricted"),
        "closed": national(db, status="closed"),
    }


def visible(world: dict[str, uuid.UUID]) -> set[str]:
    return {str(world[k]) for k in ("hanoi", "danang", "hydro")}


def test_partner_sees_exactly_its_agreement_as_geojson(client: TestClient, db: Session, world: dict) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    r = client.get("/share/v1/stations", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert {f["id"] for f in body["features"]} == visible(world)
    assert body["numberReturned"] == 3
    hanoi = next(f for f in body["features"] if f["id"] == str(world["hanoi"]))
    assert hanoi["properties"]["name"] == "Trạm Láng"
    assert hanoi["geometry"] == {"type": "Point", "coordinates": [105.85, 21.03]}


def test_export_reads_in_batches_and_keeps_every_station_once(
    client: TestClient, db: Session, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sharing_service, "EXPORT_BATCH", 2)
    headers = make_partner(db, "PARTNER", GRANT)
    ids = [f["id"] for f in client.get("/share/v1/stations", headers=headers).json()["features"]]
    assert sorted(ids) == sorted(visible(world))
    assert len(ids) == len(set(ids))


def test_partner_view_as_csv_has_a_header_and_one_row_per_station(
    client: TestClient, db: Session, world: dict
) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    r = client.get("/share/v1/stations", params={"f": "csv"}, headers=headers)
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["id"] for row in rows} == visible(world)
    assert next(row for row in rows if row["id"] == str(world["hydro"]))["river"] == "Sông Hồng"


def test_partner_view_as_wmdr_validates_against_the_xsd(
    client: TestClient, db: Session, world: dict, schema: etree.XMLSchema
) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    r = client.get("/share/v1/stations", headers=headers | {"Accept": "application/xml"})
    assert r.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(r.content, etree.XMLParser(no_network=True))
    assert schema.validate(root), str(schema.error_log)
    facilities = root.findall("wmdr:facility/wmdr:ObservingFacility", NS)
    assert len(facilities) == 3
    assert "0-704-0-48820" in [e.text for e in root.iterfind(".//gml:identifier", NS)]


def test_one_station_as_wmdr_validates_against_the_xsd(
    client: TestClient, db: Session, world: dict, schema: etree.XMLSchema
) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    r = client.get(f"/share/v1/stations/{world['hanoi']}", params={"f": "wmdr"}, headers=headers)
    assert r.status_code == 200, r.text
    root = etree.fromstring(r.content, etree.XMLParser(no_network=True))
    assert schema.validate(root), str(schema.error_log)


def test_one_station_has_an_etag_and_if_none_match_gives_304(
    client: TestClient, db: Session, world: dict
) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    url = f"/share/v1/stations/{world['hanoi']}"
    first = client.get(url, headers=headers)
    assert first.status_code == 200 and first.json()["id"] == str(world["hanoi"])
    tag = first.headers["etag"]
    again = client.get(url, headers=headers | {"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    other = client.get(url, headers=headers | {"If-None-Match": '"stale"'})
    assert other.status_code == 200
    as_geojson = client.get(url, params={"f": "geojson"}, headers=headers | {"If-None-Match": tag})
    assert as_geojson.status_code == 200 and as_geojson.json()["type"] == "Feature"


def test_etag_changes_when_the_station_changes(client: TestClient, db: Session, world: dict) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    url = f"/share/v1/stations/{world['hanoi']}"
    tag = client.get(url, headers=headers).headers["etag"]
    admin = make_key(db, "NCHMF", Role.admin)
    patched = client.patch(
        f"/api/v1/stations/{world['hanoi']}", json={"elevation_m": 7.5}, headers=admin | {"If-Match": '"r1"'}
    )
    assert patched.status_code == 200, patched.text
    fresh = client.get(url, headers=headers | {"If-None-Match": tag})
    assert fresh.status_code == 200 and fresh.json()["elevation_m"] == 7.5
    assert fresh.headers["etag"] != tag


@pytest.mark.parametrize("which", ["restricted", "closed", "saigon", "specialized", "rain_only"])
def test_unseen_station_gives_the_same_404_as_a_missing_one(
    client: TestClient, db: Session, world: dict, which: str
) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    missing = uuid.uuid4()
    unseen = client.get(f"/share/v1/stations/{world[which]}", headers=headers)
    absent = client.get(f"/share/v1/stations/{missing}", headers=headers)
    assert unseen.status_code == absent.status_code == 404
    assert unseen.headers["content-type"] == absent.headers["content-type"] == "application/problem+json"
    normalize = [(unseen.json(), str(world[which])), (absent.json(), str(missing))]
    bodies = [{k: str(v).replace(sid, "<id>") for k, v in body.items()} for body, sid in normalize]
    assert bodies[0] == bodies[1]


def test_share_needs_a_partner_key_with_an_agreement(client: TestClient, db: Session, world: dict) -> None:
    anonymous = client.get("/share/v1/stations")
    assert anonymous.status_code == 401 and anonymous.json()["type"].endswith("/unauthenticated")
    editor = client.get("/share/v1/stations", headers=make_key(db, "MOC", Role.editor))
    assert editor.status_code == 403 and editor.json()["type"].endswith("/access-denied")
    lonely = client.get("/share/v1/stations", headers=make_partner(db, "LONELY"))
    assert lonely.status_code == 403 and lonely.json()["type"].endswith("/no-sharing-agreement")


def test_bad_format_and_unknown_parameters_are_refused_naming_them(client: TestClient, db: Session) -> None:
    headers = make_partner(db, "PARTNER", GRANT)
    bad = client.get("/share/v1/stations", params={"f": "shp"}, headers=headers)
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["pointer"] == "#/f"
    unknown = client.get("/share/v1/stations", params={"province": "VN-HN"}, headers=headers)
    assert unknown.status_code == 400 and unknown.json()["parameter"] == "province"
