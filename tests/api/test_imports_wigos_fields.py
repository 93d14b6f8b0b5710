"""The new WIGOS fields in CSV and GeoJSON imports: establishment date and programme affiliations."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import make_key
from tests.factories_imports import post_csv, post_geojson

HEADER = "national_code,name,network,station_types,automation,latitude,longitude,elevation_m,established_date,programmes"


def test_csv_gives_establishment_date_and_programmes_and_a_second_import_changes_nothing(
    client: TestClient, db: Session
) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    body = f"{HEADER}\nWF-1,Láng,national,synoptic,automatic,21.02,105.8,6,17/05/1902,GBON;GOSGeneral\n"
    first = post_csv(client, admin, body, owner="NCHMF")
    assert first.status_code == 200 and first.json()["created"] == 1, first.text
    station = client.get("/api/v1/stations?q=WF-1", headers=admin).json()["items"][0]
    assert station["established_date"] == "1902-05-17" and station["programmes"] == ["GBON", "GOSGeneral"]
    assert station["wmo_region"] == "asia" and station["territory"] == "VNM"
    assert post_csv(client, admin, body, owner="NCHMF").json()["unchanged"] == 1
    changed = body.replace("GBON;GOSGeneral", "RBON")
    assert post_csv(client, admin, changed, owner="NCHMF").json()["updated"] == 1
    history = client.get(f"/api/v1/stations/{station['id']}/history", headers=admin).json()["items"]
    assert history[-1]["changes"]["programmes"] == [["GBON", "GOSGeneral"], ["RBON"]]


def test_bad_date_and_bad_programme_are_row_errors(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    body = (
        f"{HEADER}\nWF-2,A,national,synoptic,manual,21.0,105.8,,31/02/1990,GBON\n"
        "WF-3,B,national,synoptic,manual,21.0,105.9,,1990-01-01,GOS General\n"
    )
    response = post_csv(client, admin, body, owner="NCHMF")
    assert response.status_code == 422
    errors = {(e["line"], e["field"]) for e in response.json()["errors"]}
    assert errors == {(2, "established_date"), (3, "programmes")}


def test_geojson_takes_programmes_as_a_list(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    feature = {
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [105.8, 21.0]},
        "properties": {"national_code": "WF-4", "name": "C", "network": "national", "station_types": ["synoptic"],
                       "automation": "manual", "established_date": "2001-01-01", "programmes": ["WHYCOS"]},
    }  # fmt: skip
    response = post_geojson(
        client, admin, {"type": "FeatureCollection", "features": [feature]}, owner="NCHMF"
    )
    assert response.status_code == 200, response.text
    station = client.get("/api/v1/stations?q=WF-4", headers=admin).json()["items"][0]
    assert station["programmes"] == ["WHYCOS"] and station["established_date"] == "2001-01-01"
