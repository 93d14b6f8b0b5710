"""Registering stations: WIGOS identifiers, unique codes, the derived province, and every bad input."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import HCMC, station_body
from tests.factories_registry import STATIONS, assert_problem, keyed, register


@pytest.fixture
def editor(db: Session) -> dict[str, str]:
    return keyed(db, Role.editor)[1]


def _count(db: Session, national_code: str) -> int:
    return int(
        db.execute(
            text("SELECT count(*) FROM station WHERE national_code = :c"), {"c": national_code}
        ).scalar_one()
    )


def test_register_returns_the_station_with_location_etag_and_server_fields(
    client: TestClient, editor: dict[str, str]
) -> None:
    body = station_body(name="Trạm đo mưa Đồng Hới", legal_basis="Decree 38/2016 art. 15", river="Nhật Lệ")
    response = client.post(STATIONS, json=body, headers=editor)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["etag"] == '"r1"'
    assert response.headers["location"].endswith(f"{STATIONS}/{created['id']}")
    for field in ("national_code", "name", "network", "legal_basis", "station_types", "automation", "river"):
        assert created[field] == body[field]
    assert created["location"] == {"type": "Point", "coordinates": [105.85, 21.03]}
    assert created["variables"] == [{"name": "precipitation", "interval_min": 10}]
    assert (created["revision"], created["status"], created["closed_date"]) == (1, "operational", None)
    assert created["created_at"] == created["updated_at"]


def test_wigos_ids_are_kept_in_order_with_the_first_one_primary(
    client: TestClient, db: Session, editor: dict[str, str]
) -> None:
    wsis = ["0-704-1-QB014", "0-20000-0-48999"]
    station = register(client, editor, wigos_ids=wsis)
    assert station["wigos_ids"] == wsis
    rows = db.execute(
        text("SELECT wsi, is_primary FROM station_wigos_id WHERE station_id = :s ORDER BY wsi DESC"),
        {"s": station["id"]},
    ).all()
    assert [tuple(r) for r in rows] == [("0-704-1-QB014", True), ("0-20000-0-48999", False)]


def test_a_wigos_id_held_by_another_station_is_a_409(
    client: TestClient, db: Session, editor: dict[str, str]
) -> None:
    register(client, editor, wigos_ids=["0-704-1-DUP01"])
    body = station_body(wigos_ids=["0-704-1-NEW01", "0-704-1-DUP01"])
    response = client.post(STATIONS, json=body, headers=editor)
    assert assert_problem(response, 409, "duplicate-wigos-id", "0-704-1-DUP01")["wsi"] == "0-704-1-DUP01"
    assert _count(db, body["national_code"]) == 0


def test_a_wigos_id_cannot_be_taken_by_patch_but_is_free_once_released(
    client: TestClient, editor: dict[str, str]
) -> None:
    holder = register(client, editor, wigos_ids=["0-704-1-MOVE1"])
    taker = register(client, editor)
    taker_url, holder_url = f"{STATIONS}/{taker['id']}", f"{STATIONS}/{holder['id']}"
    taken = client.patch(
        taker_url, json={"wigos_ids": ["0-704-1-MOVE1"]}, headers=editor | {"If-Match": '"r1"'}
    )
    assert_problem(taken, 409, "duplicate-wigos-id", "0-704-1-MOVE1")
    assert client.get(taker_url, headers=editor).json()["wigos_ids"] == []
    released = client.patch(holder_url, json={"wigos_ids": []}, headers=editor | {"If-Match": '"r1"'})
    assert released.status_code == 200, released.text
    moved = client.patch(
        taker_url, json={"wigos_ids": ["0-704-1-MOVE1"]}, headers=editor | {"If-Match": '"r1"'}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["wigos_ids"] == ["0-704-1-MOVE1"]


def test_a_duplicate_national_code_is_a_409(client: TestClient, db: Session, editor: dict[str, str]) -> None:
    first = register(client, editor)
    response = client.post(STATIONS, json=station_body(national_code=first["national_code"]), headers=editor)
    body = assert_problem(response, 409, "duplicate-station-code", first["national_code"])
    assert body["national_code"] == first["national_code"]
    assert _count(db, first["national_code"]) == 1
    second = register(client, editor)
    renamed = client.patch(
        f"{STATIONS}/{second['id']}",
        json={"national_code": first["national_code"]},
        headers=editor | {"If-Match": '"r1"'},
    )
    assert_problem(renamed, 409, "duplicate-station-code", first["national_code"])


@pytest.mark.parametrize(
    ("wigos_ids", "mention"),
    [
        (["0-704-1"], "0-704-1"),
        (["1-704-1-QB014"], "1-704-1-QB014"),
        (["0-70400-1-QB014"], "65534"),
        (["0-704-1-QB 014"], "QB 014"),
        (["0-704-1-ABCDEFGHIJKLMNOPQ"], "ABCDEFGHIJKLMNOPQ"),
        (["0-704-1-TWICE", "0-704-1-TWICE"], "listed twice"),
    ],
)
def test_a_malformed_wigos_id_is_a_422_naming_the_field(
    client: TestClient, editor: dict[str, str], wigos_ids: list[str], mention: str
) -> None:
    response = client.post(STATIONS, json=station_body(wigos_ids=wigos_ids), headers=editor)
    assert_problem(response, 422, "invalid-body", "#/wigos_ids", mention)
    station = register(client, editor)
    patch = client.patch(
        f"{STATIONS}/{station['id']}", json={"wigos_ids": wigos_ids}, headers=editor | {"If-Match": '"r1"'}
    )
    assert_problem(patch, 422, "invalid-body", "#/wigos_ids", mention)


@pytest.mark.parametrize(
    ("coordinates", "mention"),
    [([105.85, 95.0], "latitude 95.0"), ([200.0, 21.0], "longitude 200.0"), ([105.85], "#/location")],
)
def test_coordinates_out_of_range_are_a_422_naming_the_location(
    client: TestClient, editor: dict[str, str], coordinates: list[float], mention: str
) -> None:
    body = station_body(location={"type": "Point", "coordinates": coordinates})
    assert_problem(
        client.post(STATIONS, json=body, headers=editor), 422, "invalid-body", "#/location", mention
    )


@pytest.mark.parametrize(
    "point",
    [(100.5, 13.75), (2.35, 48.86), (120.98, 14.6), (104.0, 1.35)]
    + [(107.967, 21.55), (104.183, 10.6), (109.583, 18.217), (116.833, 6.917), (101.4, 9.2)],
    ids=["Bangkok", "Paris", "Manila", "Singapore"]
    # real ISD stations the service area once took for Viet Nam's: across the land border, on the Cambodian
    # coast near Hà Tiên, on Hainan, on Sabah inside the old Trường Sa rectangle, at sea in Thai waters
    + ["Dongxing", "Kampot", "Sanya", "Kudat", "a platform in Thai waters"],
)
def test_a_point_far_outside_vietnam_is_a_422_point_outside_service_area(
    client: TestClient, db: Session, editor: dict[str, str], point: tuple[float, float]
) -> None:
    body = station_body(location={"type": "Point", "coordinates": list(point)})
    response = client.post(STATIONS, json=body, headers=editor)
    problem = assert_problem(response, 422, "point-outside-service-area", "#/location/coordinates")
    assert problem["pointer"] == "#/location/coordinates"
    assert problem["value"] == list(point)
    assert _count(db, body["national_code"]) == 0
    station = register(client, editor)
    moved = client.patch(
        f"{STATIONS}/{station['id']}",
        json={"location": body["location"]},
        headers=editor | {"If-Match": '"r1"'},
    )
    assert_problem(moved, 422, "point-outside-service-area", "#/location/coordinates")
    assert client.get(f"{STATIONS}/{station['id']}", headers=editor).json()["location"] == station["location"]


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"network": "regional"}, "#/network"),
        ({"station_types": ["telepathy"]}, "#/station_types/0"),
        ({"station_types": []}, "#/station_types"),
        ({"automation": "robotic"}, "#/automation"),
        ({"status": "dormant"}, "#/status"),
        ({"data_policy": "secret"}, "#/data_policy"),
        ({"national_code": "has space"}, "#/national_code"),
        ({"national_code": ""}, "#/national_code"),
        ({"name": ""}, "#/name"),
        ({"elevation_m": 12000}, "#/elevation_m"),
        ({"location": {"type": "LineString", "coordinates": [[105, 21], [106, 21]]}}, "#/location"),
        ({"location": "105.85,21.03"}, "#/location"),
        ({"variables": [{"name": "rain", "interval_min": 0}]}, "#/variables/0/interval_min"),
        ({"variables": [{"name": "rain", "unit": "mm"}]}, "#/variables/0/unit"),
    ],
)
def test_a_bad_field_is_a_422_naming_it(
    client: TestClient, editor: dict[str, str], overrides: dict[str, Any], pointer: str
) -> None:
    response = client.post(STATIONS, json=station_body(**overrides), headers=editor)
    assert_problem(response, 422, "invalid-body", pointer)


def test_a_missing_required_field_is_a_422_naming_it(client: TestClient, editor: dict[str, str]) -> None:
    body = station_body()
    del body["name"], body["location"]
    response = client.post(STATIONS, json=body, headers=editor)
    problem = assert_problem(response, 422, "invalid-body", "#/name", "#/location")
    assert {e["pointer"] for e in problem["errors"]} == {"#/name", "#/location"}


def test_a_body_that_is_not_json_is_a_422(client: TestClient, editor: dict[str, str]) -> None:
    response = client.post(
        STATIONS, content=b"{not json", headers=editor | {"Content-Type": "application/json"}
    )
    assert_problem(response, 422, "invalid-body")


def test_a_patch_cannot_null_a_required_field(client: TestClient, editor: dict[str, str]) -> None:
    station = register(client, editor)
    url = f"{STATIONS}/{station['id']}"
    fields = (
        "national_code",
        "name",
        "network",
        "station_types",
        "automation",
        "status",
        "location",
        "owner",
    )
    for field in (*fields, "data_policy", "wigos_ids", "variables"):
        response = client.patch(url, json={field: None}, headers=editor | {"If-Match": '"r1"'})
        assert_problem(response, 422, "rule-violation", f"#/{field}")
    assert client.get(url, headers=editor).json()["revision"] == 1


@pytest.mark.parametrize(
    ("point", "province"),
    [
        ((105.85, 21.03), "VN-HN"),  # Hà Nội, inside the province polygon
        ((108.6, 16.2), "VN-DN"),  # the sea 30 km off Đà Nẵng: nearest coastal province
        ((104.3, 8.3), "VN-59"),  # the sea 60 km off Cà Mau
        ((107.73, 20.13), "VN-HP"),  # Bạch Long Vĩ island (Hải Phòng), outside the schematic polygon
        ((111.92, 8.64), "VN-34"),  # Trường Sa archipelago: Khánh Hòa
        ((112.33, 16.83), "VN-DN"),  # Hoàng Sa archipelago: Đà Nẵng
        ((103.967, 22.5), "VN-02"),  # Lào Cai, 1 km from the Chinese border
        ((107.967, 21.517), "VN-13"),  # Móng Cái (Quảng Ninh), which Natural Earth puts in China
        ((114.333, 11.417), "VN-34"),  # Song Tử Tây (Trường Sa), which foreign lists file elsewhere
        ((111.0, 14.0), None),  # open sea, 180 km from the nearest province: none
    ],
)
def test_the_province_is_derived_from_the_location(
    client: TestClient, editor: dict[str, str], point: tuple[float, float], province: str | None
) -> None:
    station = register(client, editor, location={"type": "Point", "coordinates": list(point)})
    assert station["province"] == province


def test_moving_a_station_derives_its_province_again(client: TestClient, editor: dict[str, str]) -> None:
    station = register(client, editor)
    assert station["province"] == "VN-HN"
    moved = client.patch(
        f"{STATIONS}/{station['id']}",
        json={"location": {"type": "Point", "coordinates": list(HCMC)}},
        headers=editor | {"If-Match": '"r1"'},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["province"] == "VN-SG"


def test_a_patch_clears_optional_fields_with_null(
    client: TestClient, db: Session, editor: dict[str, str]
) -> None:
    operator, _ = keyed(db, Role.viewer)
    station = register(
        client,
        editor,
        legal_basis="Decree 38/2016",
        river="Hồng",
        basin="Hồng",
        elevation_m=5.0,
        operator=operator,
    )
    cleared = {"legal_basis": None, "river": None, "basin": None, "elevation_m": None, "operator": None}
    response = client.patch(
        f"{STATIONS}/{station['id']}", json=cleared, headers=editor | {"If-Match": '"r1"'}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in cleared} == cleared
    assert body["revision"] == 2
