"""Equipment over HTTP: install, read, change with If-Match, move, remove, history, bad input, statistics."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from domain.equipment.models import EquipmentItem
from domain.equipment.rules import today
from domain.station.models import StationRevision
from tests.factories import DA_NANG, make_key, station_body
from tests.factories_equipment import TEST_MANUAL, count, item_body, load_kinds

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _kinds(db: Session) -> None:
    load_kinds(db)


def new_station(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    created = client.post("/api/v1/stations", json=station_body(**overrides), headers=headers)
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


def install(client: TestClient, headers: dict[str, str], station_id: str, **overrides: Any) -> Any:
    return client.post(
        f"/api/v1/stations/{station_id}/equipment", json=item_body(**overrides), headers=headers
    )


def assert_problem(response: Any, status: int, pointer: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    if pointer is not None:
        pointers = [body.get("pointer")] + [e["pointer"] for e in body.get("errors", [])]
        assert pointer in pointers, body
    return body


def test_editor_installs_equipment_and_the_station_history_shows_it(client: TestClient, db: Session) -> None:
    headers = make_key(db, "EQA")
    station = new_station(client, headers, automation="manual")
    created = install(client, headers, station["id"], serial_number="API-1")
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["kind"], item["automatic"], item["status"], item["station_id"]) == (
        "rain_gauge_tipping_bucket", True, "operational", station["id"],
    )  # fmt: skip
    assert created.headers["etag"] == '"r1"'
    assert created.headers["location"].endswith(f"/api/v1/equipment/{item['id']}")
    assert client.get(created.headers["location"], headers=headers).json()["serial_number"] == "API-1"
    got = client.get(f"/api/v1/stations/{station['id']}", headers=headers)
    assert got.json()["automation"] == "automatic" and got.headers["etag"] == '"r2"'
    history = client.get(f"/api/v1/stations/{station['id']}/history", headers=headers).json()["items"]
    assert [h["op"] for h in history] == ["create", "equipment_add"]
    assert history[1]["changes"]["automation"] == ["manual", "automatic"]
    as_of = client.get(
        f"/api/v1/stations/{station['id']}", params={"as_of": history[1]["at"]}, headers=headers
    )
    assert [e["serial_number"] for e in as_of.json()["equipment"]] == ["API-1"]


def test_patch_needs_if_match_and_moves_an_item(client: TestClient, db: Session) -> None:
    headers = make_key(db, "EQB")
    source = new_station(client, headers)
    target = new_station(client, headers, location={"type": "Point", "coordinates": list(DA_NANG)})
    item = install(client, headers, source["id"]).json()
    url = f"/api/v1/equipment/{item['id']}"
    assert_problem(client.patch(url, json={"firmware": "2.0"}, headers=headers), 428)
    stale = client.patch(url, json={"firmware": "2.0"}, headers=headers | {"If-Match": '"r9"'})
    assert_problem(stale, 412)
    moved = client.patch(
        url, json={"station_id": target["id"], "firmware": "2.0", "reason": "relocated"},
        headers=headers | {"If-Match": '"r1"'},
    )  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert (moved.json()["station_id"], moved.json()["firmware"]) == (target["id"], "2.0")
    assert moved.headers["etag"] == '"r2"'
    for station in (source, target):
        history = client.get(f"/api/v1/stations/{station['id']}/history", headers=headers).json()["items"]
        assert (history[-1]["op"], history[-1]["reason"]) == ("equipment_move", "relocated")
    listed = client.get(f"/api/v1/stations/{target['id']}/equipment", headers=headers).json()
    assert [i["id"] for i in listed["items"]] == [item["id"]] and listed["next"] is None


def test_delete_marks_an_item_removed_and_keeps_it(client: TestClient, db: Session) -> None:
    headers = make_key(db, "EQC")
    station = new_station(client, headers)
    item = install(client, headers, station["id"]).json()
    removed = client.request(
        "DELETE", f"/api/v1/equipment/{item['id']}", json={"reason": "lightning strike"}, headers=headers
    )
    assert removed.status_code == 200, removed.text
    assert (removed.json()["status"], removed.json()["removed_date"]) == ("removed", today().isoformat())
    url = f"/api/v1/stations/{station['id']}/equipment"
    assert client.get(url, headers=headers).json()["items"] == []
    kept = client.get(url, params={"include_removed": "true"}, headers=headers).json()["items"]
    assert [i["status"] for i in kept] == ["removed"]
    again = client.patch(
        f"/api/v1/equipment/{item['id']}", json={"model": "X"}, headers=headers | {"If-Match": '"r2"'}
    )
    assert_problem(again, 422)


def test_bad_equipment_input_gets_problem_json_naming_the_field_and_writes_nothing(
    client: TestClient, db: Session
) -> None:
    headers = make_key(db, "EQD")
    station = new_station(client, headers)
    install(client, headers, station["id"], serial_number="TAKEN-1")
    other = new_station(client, headers)
    before = (count(db, EquipmentItem), count(db, StationRevision))
    sid = other["id"]
    assert_problem(install(client, headers, sid, kind="flux_capacitor"), 422, "#/kind")
    tomorrow = (today() + timedelta(days=1)).isoformat()
    assert_problem(install(client, headers, sid, installed_date=tomorrow), 422, "#/installed_date")
    assert_problem(install(client, headers, sid, serial_number="TAKEN-1"), 409, "#/serial_number")
    assert_problem(install(client, headers, sid, manufacturer=""), 422, "#/manufacturer")
    assert_problem(install(client, headers, sid, status="removed"), 422, "#/status")
    assert_problem(install(client, headers, sid, installed_date="yesterday"), 422, "#/installed_date")
    missing = "00000000-0000-0000-0000-000000000000"
    assert_problem(install(client, headers, missing), 404)
    assert (count(db, EquipmentItem), count(db, StationRevision)) == before


def test_only_the_owners_editors_and_admins_change_equipment(client: TestClient, db: Session) -> None:
    owner = make_key(db, "EQE")
    station = new_station(client, owner)
    assert_problem(install(client, make_key(db, "EQF"), station["id"]), 403)
    assert_problem(install(client, make_key(db, "EQE", Role.viewer), station["id"]), 403)
    assert (
        install(client, make_key(db, "NCHMF", Role.admin), station["id"], kind=TEST_MANUAL).status_code == 201
    )
    assert_problem(client.get(f"/api/v1/stations/{station['id']}/equipment"), 401)


def test_equipment_kinds_come_from_wmds_and_the_vietnamese_network(client: TestClient, db: Session) -> None:
    kinds = {
        k["code"]: k for k in client.get("/api/v1/equipment-kinds", headers=make_key(db)).json()["items"]
    }
    assert kinds["rain_gauge_manual"]["automatic"] is False
    tipping = kinds["rain_gauge_tipping_bucket"]
    assert (tipping["automatic"], tipping["wmds_notation"]) == (True, "204")
    assert "Tipping bucket rain gauge" in tipping["source"]
    for code in ("aws_logger", "water_level_radar", "anemometer_cup", "barometer_electronic", "evaporation_pan",
                 "weather_radar", "radiosonde_ground_station"):  # fmt: skip
        assert code in kinds


def test_statistics_endpoint_counts_per_province_and_owner(client: TestClient, db: Session) -> None:
    headers = make_key(db, "EQG")
    new_station(client, headers)
    new_station(client, headers, status="planned", automation="manual")
    got = client.get("/api/v1/statistics/stations", params={"owner": "EQG"}, headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["total"] == 2 and body["by_status"] == {"operational": 1, "planned": 1}
    assert body["by_automation"] == {"automatic": 1, "manual": 1}
    assert body["by_owner"] == [
        {"owner": "EQG", "total": 2, "by_network": {"specialized": 2}, "by_type": {"rain_gauge": 2},
         "by_automation": {"automatic": 1, "manual": 1}, "by_status": {"operational": 1, "planned": 1}},
    ]  # fmt: skip
    assert [p["province"] for p in body["by_province"]] == ["VN-HN"]
    assert_problem(client.get("/api/v1/statistics/stations", params={"ownr": "X"}, headers=headers), 400)
