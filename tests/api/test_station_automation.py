"""A station's automation level follows its equipment, also against a direct PATCH."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import make_key, station_body
from tests.factories_equipment import item_body, load_kinds


@pytest.fixture(autouse=True)
def _kinds(db: Session) -> None:
    load_kinds(db)


def _station_with_automatic_item(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    station = client.post("/api/v1/stations", json=station_body(automation="manual"), headers=headers).json()
    installed = client.post(
        f"/api/v1/stations/{station['id']}/equipment", json=item_body(serial_number="AUTO-1"), headers=headers
    )
    assert installed.status_code == 201, installed.text
    got = client.get(f"/api/v1/stations/{station['id']}", headers=headers)
    assert got.json()["automation"] == "automatic"
    return {"id": station["id"], "etag": got.headers["etag"]}


def _patch(
    client: TestClient, headers: dict[str, str], station: dict[str, Any], change: dict[str, Any]
) -> Any:
    """PATCH the station with the ETag it was read with."""
    return client.patch(
        f"/api/v1/stations/{station['id']}", json=change, headers=headers | {"If-Match": station["etag"]}
    )


def test_patch_contradicting_the_equipment_is_refused_and_changes_nothing(
    client: TestClient, db: Session
) -> None:
    headers = make_key(db, "AUTOA")
    station = _station_with_automatic_item(client, headers)
    refused = _patch(client, headers, station, {"automation": "manual"})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    body = refused.json()
    assert body["pointer"] == "#/automation"
    assert "1 of 1 installed items are automatic" in body["detail"]
    after = client.get(f"/api/v1/stations/{station['id']}", headers=headers)
    assert after.json()["automation"] == "automatic"
    assert after.headers["etag"] == station["etag"]


def test_patch_of_automation_is_free_while_a_station_has_no_equipment(
    client: TestClient, db: Session
) -> None:
    headers = make_key(db, "AUTOB")
    created = client.post("/api/v1/stations", json=station_body(automation="manual"), headers=headers)
    changed = client.patch(
        f"/api/v1/stations/{created.json()['id']}",
        json={"automation": "semi_automatic"},
        headers=headers | {"If-Match": created.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["automation"] == "semi_automatic"


def test_a_later_station_change_keeps_the_equipment_in_the_past_state(
    client: TestClient, db: Session
) -> None:
    headers = make_key(db, "AUTOC")
    station = _station_with_automatic_item(client, headers)
    renamed = _patch(client, headers, station, {"name": "Trạm đổi tên"})
    assert renamed.status_code == 200, renamed.text
    history = client.get(f"/api/v1/stations/{station['id']}/history", headers=headers).json()["items"]
    assert history[-1]["changes"] == {"name": [history[-1]["changes"]["name"][0], "Trạm đổi tên"]}
    state = client.get(
        f"/api/v1/stations/{station['id']}", params={"as_of": renamed.json()["updated_at"]}, headers=headers
    ).json()
    assert state["name"] == "Trạm đổi tên"
    assert [item["serial_number"] for item in state["equipment"]] == ["AUTO-1"]
