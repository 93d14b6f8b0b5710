"""Maintenance over HTTP: records, norms (admins), the due schedule as JSON and CSV, bad input."""

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from domain.equipment.rules import today
from domain.maintenance.models import MaintenanceNorm, MaintenanceRecord
from tests.factories import make_key, station_body
from tests.factories_equipment import TEST_AUTO, count, days_ago, item_body, load_kinds, make_norm

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _kinds(db: Session) -> None:
    load_kinds(db)


def equip(client: TestClient, headers: dict[str, str], installed: str = "2024-01-01", **station: Any) -> str:
    """Register a station with one TEST_AUTO item; return the item id."""
    created = client.post("/api/v1/stations", json=station_body(**station), headers=headers)
    assert created.status_code == 201, created.text
    url = f"/api/v1/stations/{created.json()['id']}/equipment"
    item = client.post(url, json=item_body(kind=TEST_AUTO, installed_date=installed), headers=headers)
    assert item.status_code == 201, item.text
    return str(item.json()["id"])


def assert_problem(response: Any, status: int, pointer: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    if pointer is not None:
        assert pointer in [body.get("pointer")] + [e["pointer"] for e in body.get("errors", [])], body


def test_owner_editor_records_maintenance_and_lists_it(client: TestClient, db: Session) -> None:
    headers = make_key(db, "MNA")
    item_id = equip(client, headers)
    url = f"/api/v1/equipment/{item_id}/maintenance"
    body = {
        "action": "calibration",
        "performed_on": "2024-06-01",
        "performed_by": "Nguyễn Văn An",
        "notes": "ok",
    }
    created = client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in body} == body
    client.post(url, json={"action": "cleaning", "performed_on": "2024-07-01"}, headers=headers)
    page = client.get(url, params={"limit": 1}, headers=headers).json()
    assert [r["action"] for r in page["items"]] == ["cleaning"] and page["next"]
    rest = client.get(page["next"], headers=headers).json()
    assert [r["action"] for r in rest["items"]] == ["calibration"] and rest["next"] is None


def test_bad_records_get_problem_json_and_nothing_is_written(client: TestClient, db: Session) -> None:
    headers = make_key(db, "MNB")
    url = f"/api/v1/equipment/{equip(client, headers)}/maintenance"
    before = count(db, MaintenanceRecord)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    post = lambda body, h=headers: client.post(url, json=body, headers=h)  # noqa: E731
    assert_problem(post({"action": "inspection", "performed_on": tomorrow}), 422, "#/performed_on")
    assert_problem(post({"action": "inspection", "performed_on": "2023-12-31"}), 422, "#/performed_on")
    assert_problem(post({"action": "polishing", "performed_on": "2024-02-01"}), 422, "#/action")
    assert_problem(post({"action": "inspection"}), 422, "#/performed_on")
    body = {"action": "inspection", "performed_on": "2024-02-01"}
    assert_problem(post(body, make_key(db, "MNC")), 403)
    assert_problem(post(body, make_key(db, "MNB", Role.viewer)), 403)
    assert count(db, MaintenanceRecord) == before
    assert post(body, make_key(db, "NCHMF", Role.admin)).status_code == 201


def test_norms_are_written_by_admins_only_and_validated(client: TestClient, db: Session) -> None:
    admin, editor = make_key(db, "NCHMF", Role.admin), make_key(db, "MND")
    norm = {"kind": TEST_AUTO, "action": "calibration", "interval_days": 365, "source": "Circular X/2024"}
    before = count(db, MaintenanceNorm)
    assert_problem(client.post("/api/v1/norms", json=norm, headers=editor), 403)
    assert_problem(
        client.post("/api/v1/norms", json=norm | {"interval_days": 0}, headers=admin), 422, "#/interval_days"
    )
    assert_problem(
        client.post("/api/v1/norms", json=norm | {"interval_days": -5}, headers=admin), 422, "#/interval_days"
    )
    assert_problem(client.post("/api/v1/norms", json=norm | {"kind": "nope"}, headers=admin), 422, "#/kind")
    assert_problem(client.post("/api/v1/norms", json=norm | {"source": ""}, headers=admin), 422, "#/source")
    assert count(db, MaintenanceNorm) == before
    created = client.post("/api/v1/norms", json=norm, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["source"] == "Circular X/2024" and created.headers["etag"] == '"r1"'
    assert_problem(client.post("/api/v1/norms", json=norm, headers=admin), 409)
    url = created.headers["location"]
    assert_problem(client.patch(url, json={"interval_days": 180}, headers=editor | {"If-Match": '"r1"'}), 403)
    assert_problem(client.patch(url, json={"interval_days": 180}, headers=admin), 428)
    assert_problem(client.patch(url, json={"interval_days": 0}, headers=admin | {"If-Match": '"r1"'}), 422)
    changed = client.patch(url, json={"interval_days": 180}, headers=admin | {"If-Match": '"r1"'})
    assert changed.json()["interval_days"] == 180 and changed.headers["etag"] == '"r2"'
    listed = client.get("/api/v1/norms", params={"kind": TEST_AUTO}, headers=editor).json()["items"]
    assert [(n["action"], n["interval_days"]) for n in listed] == [("calibration", 180)]
    assert client.delete(url, headers=admin).status_code == 204
    assert_problem(client.get(url, headers=admin), 404)


def test_due_lists_overdue_actions_most_overdue_first_with_paging(client: TestClient, db: Session) -> None:
    make_norm(db, days=30)
    headers = make_key(db, "MNE")
    late = equip(client, headers, installed=days_ago(200).isoformat())
    later = equip(client, headers, installed=days_ago(100).isoformat())
    equip(client, headers, installed=days_ago(5).isoformat())
    first = client.get("/api/v1/maintenance/due", params={"owner": "MNE", "limit": 1}, headers=headers)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [r["equipment_id"] for r in page["items"]] == [late] and page["items"][0]["days_overdue"] == 170
    second = client.get(page["next"], headers=headers).json()
    assert [r["equipment_id"] for r in second["items"]] == [later] and second["next"] is None
    ahead = client.get("/api/v1/maintenance/due", params={"owner": "MNE", "within_days": 30}, headers=headers)
    assert len(ahead.json()["items"]) == 3


def test_due_as_csv(client: TestClient, db: Session) -> None:
    make_norm(db, days=30)
    headers = make_key(db, "MNF")
    item_id = equip(client, headers, installed=days_ago(45).isoformat())
    got = client.get("/api/v1/maintenance/due", params={"owner": "MNF", "f": "csv"}, headers=headers)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [(r["equipment_id"], r["action"], r["days_overdue"]) for r in rows] == [
        (item_id, "inspection", "15")
    ]
    assert rows[0]["due_date"] == days_ago(15).isoformat() and rows[0]["norm_source"] == "test circular"


def test_due_refuses_bad_query_parameters(client: TestClient, db: Session) -> None:
    headers = make_key(db, "MNG")
    for params, name in (
        ({"within_days": "-1"}, "within_days"), ({"within_days": "soon"}, "within_days"),
        ({"station_id": "abc"}, "station_id"), ({"cursor": "!!"}, "cursor"), ({"owner_code": "X"}, "owner_code"),
    ):  # fmt: skip
        got = client.get("/api/v1/maintenance/due", params=params, headers=headers)
        assert_problem(got, 400)
        assert name in got.text
    assert_problem(client.get("/api/v1/maintenance/due"), 401)
