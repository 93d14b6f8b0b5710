"""OGC API - Features Part 2 on /ogc: crs=, bbox-crs=, Content-Crs, storageCrs and the crs list."""

import uuid

import pytest
from fastapi.testclient import TestClient
from pyproj import Transformer
from sqlmodel import Session

from domain.crs.rules import CRS84, SUPPORTED
from tests.factories import HANOI, HUE, make_station

ITEMS = "/ogc/collections/stations/items"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@pytest.fixture
def hue(db: Session) -> uuid.UUID:
    make_station(db, "NCHMF", location={"type": "Point", "coordinates": list(HANOI)})
    found = make_station(db, "NCHMF", location={"type": "Point", "coordinates": list(HUE)}).id
    db.commit()
    return found


def test_collections_list_every_crs_with_crs84_as_storage(client: TestClient) -> None:
    for body in (
        client.get("/ogc/collections/stations").json(),
        client.get("/ogc/collections").json()["collections"][1],
    ):
        assert body["storageCrs"] == CRS84
        assert body["crs"][0] == CRS84
        assert {EPSG + c for c in ("4326", "3857", "4756", "3405", "3406")} <= set(body["crs"])
        assert any("VN-2000-TM3-105-45" in c for c in body["crs"])


def test_default_output_is_crs84_and_says_so(client: TestClient, hue: uuid.UUID) -> None:
    r = client.get(f"{ITEMS}/{hue}")
    assert r.headers["content-crs"] == f"<{CRS84}>"
    assert r.json()["geometry"]["coordinates"] == list(HUE)


def test_epsg_4326_puts_latitude_first(client: TestClient, hue: uuid.UUID) -> None:
    r = client.get(f"{ITEMS}/{hue}", params={"crs": EPSG + "4326"})
    assert r.headers["content-crs"] == f"<{EPSG}4326>"
    assert r.json()["geometry"]["coordinates"] == [HUE[1], HUE[0]]


@pytest.mark.parametrize("code", ["3405", "3406", "3857"])
def test_projected_output_matches_proj(client: TestClient, hue: uuid.UUID, code: str) -> None:
    r = client.get(
        ITEMS, params={"crs": f"EPSG:{code}", "filter": f"S_EQUALS(geometry, POINT({HUE[0]} {HUE[1]}))"}
    )
    assert r.status_code == 200 and r.headers["content-crs"] == f"<{EPSG}{code}>"
    [feature] = r.json()["features"]
    expected = Transformer.from_crs("OGC:CRS84", SUPPORTED[EPSG + code].proj, always_xy=True).transform(*HUE)
    assert feature["geometry"]["coordinates"] == pytest.approx(list(expected), abs=0.01)


def test_a_provincial_tm3_crs_is_served_by_its_short_name(client: TestClient, hue: uuid.UUID) -> None:
    r = client.get(f"{ITEMS}/{hue}", params={"crs": "VN-2000-TM3-107-00"})  # Thừa Thiên Huế: 107°00'
    assert r.status_code == 200
    x, y = r.json()["geometry"]["coordinates"]
    assert abs(x - 500_000) < 70_000 and 1_800_000 < y < 1_850_000


def test_bbox_crs_reads_the_box_in_that_crs(client: TestClient, hue: uuid.UUID) -> None:
    utm = client.get(ITEMS, params={"bbox": "770000,1815000,785000,1830000", "bbox-crs": "EPSG:3405"}).json()
    assert [f["id"] for f in utm["features"]] == [str(hue)]
    lat_first = client.get(ITEMS, params={"bbox": "16,107,17,108", "bbox-crs": EPSG + "4326"}).json()
    assert [f["id"] for f in lat_first["features"]] == [str(hue)]


def test_an_unknown_crs_is_a_400_naming_the_parameter(client: TestClient) -> None:
    for name in ("crs", "bbox-crs", "filter-crs"):
        params = {name: "EPSG:1234"} | ({"bbox": "1,2,3,4"} if name == "bbox-crs" else {})
        params |= {"filter": "name = 'x'"} if name == "filter-crs" else {}
        r = client.get(ITEMS, params=params)
        assert r.status_code == 400 and r.json()["parameter"] == name, r.text
