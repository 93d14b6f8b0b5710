"""Positions written in VN-2000 (UTM, TM-3, geographic) through POST/PATCH and imports; stored as WGS84."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from sqlmodel import Session

from domain.access.models import Role
from domain.crs.rules import CRS84, SUPPORTED, parse_crs, transform_geometry
from tests.factories import HUE, make_key, make_org, station_body
from tests.factories_imports import post_csv, to_csv

STATIONS = "/api/v1/stations"
GEOD = Geod(ellps="WGS84")


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    make_org(db, "NCHMF")
    return make_key(db, "NCHMF", Role.admin)


def in_crs(name: str, lon: float, lat: float) -> list[float]:
    coordinates: list[float] = transform_geometry(
        {"type": "Point", "coordinates": [lon, lat]}, SUPPORTED[CRS84], parse_crs(name, "crs")
    )["coordinates"]
    return coordinates


def metres_from(location: dict[str, Any], lon: float, lat: float) -> float:
    got = location["coordinates"]
    return float(GEOD.inv(got[0], got[1], lon, lat)[2])


@pytest.mark.parametrize("crs", ["EPSG:3405", "EPSG:4756", "VN-2000-TM3-107-00", "EPSG:3857"])
def test_register_a_station_given_in_vn2000_stores_wgs84(
    client: TestClient, admin: dict[str, str], crs: str
) -> None:
    body = station_body(owner="NCHMF", crs=crs, location={"type": "Point", "coordinates": in_crs(crs, *HUE)})
    r = client.post(STATIONS, json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert metres_from(r.json()["location"], *HUE) < 0.05
    assert "crs" not in r.json()


def test_patch_moves_a_station_given_in_a_provincial_tm3(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post(STATIONS, json=station_body(owner="NCHMF"), headers=admin)
    moved = {
        "crs": "VN-2000-TM3-107-00",
        "location": {"type": "Point", "coordinates": in_crs("VN-2000-TM3-107-00", *HUE)},
    }
    r = client.patch(f"{STATIONS}/{created.json()['id']}", json=moved,
                     headers=admin | {"If-Match": created.headers["etag"]})  # fmt: skip
    assert r.status_code == 200, r.text
    assert metres_from(r.json()["location"], *HUE) < 0.05


def test_an_unknown_crs_or_a_position_outside_it_is_a_422_naming_crs(
    client: TestClient, admin: dict[str, str]
) -> None:
    bad = station_body(owner="NCHMF", crs="EPSG:999", location={"type": "Point", "coordinates": [1, 2]})
    r = client.post(STATIONS, json=bad, headers=admin)
    assert r.status_code == 422 and "EPSG:999" in r.text
    far = station_body(owner="NCHMF", crs="EPSG:3405", location={"type": "Point", "coordinates": [5e7, 5e7]})
    r = client.post(STATIONS, json=far, headers=admin)
    assert r.status_code == 422, r.text


def test_a_province_imports_its_vn2000_list_as_it_has_it(client: TestClient, admin: dict[str, str]) -> None:
    e, n = in_crs("VN-2000-TM3-107-00", *HUE)
    lat, lon = in_crs("EPSG:4756", 108.20, 16.05)
    base = {"network": "specialized", "station_types": "rain_gauge", "automation": "manual", "owner": "NCHMF"}
    rows = [
        base | {"national_code": "TTH-1", "name": "Huế", "crs": "VN-2000-TM3-107-00", "easting": f"{e}", "northing": f"{n}"},
        base | {"national_code": "DN-1", "name": "Đà Nẵng", "crs": "EPSG:4756", "latitude": f"{lat}", "longitude": f"{lon}"},
        base | {"national_code": "HN-1", "name": "Hà Nội", "crs": "", "latitude": "21.03", "longitude": "105.85"},
    ]  # fmt: skip
    columns = [*base, "national_code", "name", "crs", "easting", "northing", "latitude", "longitude"]
    r = post_csv(client, admin, to_csv(rows, columns))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 3
    found = {
        s["national_code"]: s
        for s in client.get(STATIONS, params={"limit": 100}, headers=admin).json()["items"]
    }
    assert metres_from(found["TTH-1"]["location"], *HUE) < 0.05
    assert metres_from(found["DN-1"]["location"], 108.20, 16.05) < 0.05
    assert found["HN-1"]["location"]["coordinates"] == [105.85, 21.03]


def test_an_import_row_with_a_bad_crs_or_missing_easting_is_reported_by_line(
    client: TestClient, admin: dict[str, str]
) -> None:
    base = {"network": "specialized", "station_types": "rain_gauge", "automation": "manual", "owner": "NCHMF",
            "latitude": "", "longitude": ""}  # fmt: skip
    rows = [
        base | {"national_code": "X-1", "name": "A", "crs": "EPSG:1", "easting": "1", "northing": "2"},
        base
        | {"national_code": "X-2", "name": "B", "crs": "EPSG:3405", "easting": "", "northing": "1800000"},
    ]
    r = post_csv(client, admin, to_csv(rows))
    assert r.status_code == 422, r.text
    errors = {(e["line"], e["field"]) for e in r.json()["errors"]}
    assert (2, "crs") in errors and (3, "easting") in errors
