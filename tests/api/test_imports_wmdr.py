"""WMDR 1.0 import: OSCAR-style records, facility-level reports, dry run, all or nothing, and the round trip.

The round trip exports the partner view (/share/v1/stations?f=wmdr) of one registry and imports it
into another, empty one (a committed database of its own, served by its own app): every station
must come back the same, field by field.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import Session

from api.main import create_app
from domain.access.models import OrganizationCreate, OrganizationKind, Role
from domain.access.service import create_key, ensure_organization
from domain.settings import Settings
from tests.databases import committed_database
from tests.factories import DA_NANG, HANOI, HCMC, HUE, make_key, make_org, make_station
from tests.factories_sharing import make_partner

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wmdr"
JFJ = (FIXTURES / "wmdr_1.0_example_facility_0-2008-0-JFJ.xml").read_bytes()
OBS = (FIXTURES / "wmdr_1.0_example_observations_0-20000-0-06730.xml").read_bytes()
XML = {"Content-Type": "application/xml"}
COMPARED = (
    "national_code", "name", "network", "legal_basis", "automation", "status", "elevation_m", "wigos_ids",
    "owner", "operator", "data_policy", "river", "basin", "established_date", "programmes", "province",
    "wmo_region", "territory",
)  # fmt: skip


def post_xml(client: TestClient, headers: dict[str, str], data: bytes, **params: str) -> Any:
    return client.post("/api/v1/imports/stations", content=data, headers=headers | XML, params=params)


def in_viet_nam(record: bytes, lat: float = 21.03, lon: float = 105.85) -> bytes:
    """Return a foreign example moved to Viet Nam: position, territory and region."""
    text = record.decode()
    text = re.sub(r"<gml:pos>[^<]*</gml:pos>", f"<gml:pos>{lat} {lon} 12</gml:pos>", text)
    text = text.replace("TerritoryName/CHE", "TerritoryName/VNM").replace(
        "WMORegion/europe", "WMORegion/asia"
    )
    return text.encode()


def test_oscar_examples_are_read_and_refused_only_for_being_abroad(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    for record, wsi in ((JFJ, "0-20008-0-JFJ"),):
        response = post_xml(client, admin, record)
        assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
        errors = response.json()["errors"]
        assert errors and {e["facility"] for e in errors} == {wsi} and {e["line"] for e in errors} == {1}
        assert {e["field"] for e in errors} <= {
            "gml:pos (latitude)",
            "gml:pos (longitude)",
            "wmdr:territory",
            "wmdr:wmoRegion",
        }
        assert any("Viet Nam" in e["reason"] for e in errors)


def test_oscar_example_placed_in_viet_nam_imports_with_its_elements(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    dry = post_xml(client, admin, in_viet_nam(JFJ), dry_run="true", owner="NCHMF")
    assert dry.status_code == 200 and dry.json()["created"] == 1, dry.text
    assert client.get("/api/v1/stations?wigos_id=0-20008-0-JFJ", headers=admin).json()["items"] == []
    done = post_xml(client, admin, in_viet_nam(JFJ), owner="NCHMF")
    assert done.status_code == 200 and done.json()["created"] == 1, done.text
    station = client.get("/api/v1/stations?wigos_id=0-20008-0-JFJ", headers=admin).json()["items"][0]
    assert station["national_code"] == "JFJ" and station["name"] == "Jungfraujoch"
    assert station["established_date"] == "1957-09-28" and station["programmes"] == ["gawGlobal", "GOS"]
    assert station["elevation_m"] == 12 and station["owner"] == "NCHMF" and station["network"] == "national"
    assert station["station_types"] == ["synoptic"] and station["status"] == "operational"
    again = post_xml(client, admin, in_viet_nam(JFJ), owner="NCHMF")
    assert again.json()["unchanged"] == 1


def test_observations_example_updates_the_variables_of_the_station_holding_its_wsi(
    client: TestClient, db: Session
) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    as_published = post_xml(client, admin, OBS)
    assert as_published.status_code == 422
    [error] = as_published.json()["errors"]  # its only variable is code 262, deprecated, unknown here
    assert error["facility"] == "0-20000-0-06730" and error["value"].endswith("ObservedVariable/262")
    precipitation = OBS.replace(b"wmdr/ObservedVariable/262", b"wmdr/ObservedVariableAtmosphere/210")
    unknown = post_xml(client, admin, precipitation)
    assert unknown.status_code == 422
    assert [(e["facility"], e["field"]) for e in unknown.json()["errors"]] == [
        ("0-20000-0-06730", "wmdr:facility")
    ]
    station = make_station(
        db, owner="MOC", wigos_ids=["0-20000-0-06730"], name="Trạm có năng lực quan trắc", variables=[]
    )
    done = post_xml(client, admin, precipitation)
    assert done.status_code == 200 and done.json()["updated"] == 1, done.text
    after = client.get(f"/api/v1/stations/{station.id}", headers=admin).json()
    assert after["variables"] == [{"name": "precipitation", "interval_min": 10}]
    assert after["name"] == "Trạm có năng lực quan trắc" and after["wigos_ids"] == ["0-20000-0-06730"]


def test_one_bad_facility_blocks_the_whole_document(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    good = in_viet_nam(JFJ).decode()
    body = good.split("<wmdr:facility>")[1].split("</wmdr:facility>")[0]
    bad = body.replace("0-20008-0-JFJ", "0-20008-0-BAD").replace('gml:id="_', 'gml:id="bad_')
    bad = re.sub(r"<gml:pos>[^<]*</gml:pos>", "<gml:pos>90 180</gml:pos>", bad)
    two = good.replace("</wmdr:facility>", f"</wmdr:facility><wmdr:facility>{bad}</wmdr:facility>", 1)
    response = post_xml(client, admin, two.encode(), owner="NCHMF")
    assert response.status_code == 422
    report = response.json()
    assert {e["facility"] for e in report["errors"]} == {"0-20008-0-BAD"} and {
        e["line"] for e in report["errors"]
    } == {2}
    assert client.get("/api/v1/stations?wigos_id=0-20008-0-JFJ", headers=admin).json()["items"] == []


def test_broken_xml_and_non_wmdr_xml_are_422_saying_why(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    broken = post_xml(client, admin, b"<wmdr:WIGOSMetadataRecord xmlns:wmdr='http://def.wmo.int/wmdr/1.0'>")
    assert broken.status_code == 422 and "well-formed" in broken.json()["detail"]
    other = post_xml(client, admin, b"<root/>")
    assert other.status_code == 422 and "ObservingFacility" in other.json()["detail"]
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]><r>&a;</r>'
    assert post_xml(client, admin, bomb).status_code == 422


@pytest.fixture
def empty_registry() -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An empty registry of its own (committed database, its own app) with the organizations and an admin."""
    with committed_database("wmdr") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            for code in ("NCHMF", "MOC", "EVN"):
                ensure_organization(
                    session, data=OrganizationCreate(code=code, name=code, kind=OrganizationKind.ministry)
                )
            session.commit()
            secret = create_key(session, organization="NCHMF", role=Role.admin)[1]
        engine.dispose()
        settings = Settings(database_url=url, environment="test", rate_limit_per_minute=1_000_000)  # type: ignore[arg-type]
        with TestClient(create_app(settings), raise_server_exceptions=False) as other:
            yield other, {"Authorization": f"Bearer {secret}"}


def _stations(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    items = client.get("/api/v1/stations?limit=1000", headers=headers).json()["items"]
    return {s["national_code"]: s for s in items}


def test_wmdr_export_imported_into_an_empty_registry_gives_the_same_stations(
    client: TestClient, db: Session, empty_registry: tuple[TestClient, dict[str, str]]
) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    make_org(db, "MOC")
    make_station(
        db,
        owner="NCHMF",
        network="national",
        station_types=["synoptic", "agrometeorological"],
        wigos_ids=["0-20000-0-48820", "0-704-1-1"],
        established_date="1902-01-01",
        programmes=["GBON", "GOSGeneral"],
        variables=[
            {"name": "air_temperature", "interval_min": 60},
            {"name": "precipitation", "interval_min": 10},
        ],
    )
    make_station(
        db,
        owner="EVN",
        operator="MOC",
        network="specialized",
        legal_basis="Decree 38/2016 (art. 15).",
        station_types=["hydrological"],
        river="Sông Đà",
        basin="Hồng",
        name="Thủy điện <Hòa Bình> & co.",
        location={"type": "Point", "coordinates": list(HUE)},
        elevation_m=None,
        automation="manual",
        variables=[{"name": "water_level"}, {"name": "mystery gauge", "interval_min": 5}],
    )
    make_station(
        db,
        owner="MOC",
        operator="MOC",
        status="suspended",
        data_policy="recommended",
        variables=[],
        location={"type": "Point", "coordinates": list(DA_NANG)},
    )
    make_station(db, owner="MOC", status="planned", station_types=["marine", "rain_gauge"],
                 location={"type": "Point", "coordinates": list(HCMC)})  # fmt: skip
    make_station(
        db, owner="MOC", data_policy="restricted", location={"type": "Point", "coordinates": list(HANOI)}
    )
    partner = make_partner(db, "PARTNER", {"data_policies": ["core", "recommended"]})
    exported = client.get("/share/v1/stations?f=wmdr", headers=partner)
    assert exported.status_code == 200
    original = {c: s for c, s in _stations(client, admin).items() if s["data_policy"] != "restricted"}
    other, admin = empty_registry
    imported = post_xml(other, admin, exported.content)
    assert imported.status_code == 200 and imported.json()["created"] == len(original) == 4, imported.text
    copies = _stations(other, admin)
    assert set(copies) == set(original)
    for code, station in original.items():
        copy = copies[code]
        assert {k: copy[k] for k in COMPARED} == {k: station[k] for k in COMPARED}, code
        assert sorted(copy["station_types"]) == sorted(station["station_types"])
        assert copy["variables"] == station["variables"]
        assert copy["location"]["coordinates"] == pytest.approx(station["location"]["coordinates"], abs=1e-7)
    assert post_xml(other, admin, exported.content).json()["unchanged"] == 4
