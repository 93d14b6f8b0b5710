"""A bulk import by an organization under review: checked at submission, written only when approved."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.station.models import Station
from tests.factories import make_station
from tests.factories_imports import COLUMNS, count_like, post_csv, to_csv
from tests.factories_registry import STATIONS, assert_problem
from tests.factories_review import CHANGE_REQUESTS, ReviewWorld, decide, make_review_world, submitted


@pytest.fixture
def world(db: Session) -> ReviewWorld:
    return make_review_world(db)


def row(code: str, name: str, lon: float, lat: float) -> dict[str, str]:
    return {
        "national_code": code, "name": name, "network": "specialized", "station_types": "rain_gauge",
        "automation": "automatic", "status": "operational", "latitude": str(lat), "longitude": str(lon),
        "elevation_m": "5", "wigos_ids": "", "owner": "MOT", "operator": "", "data_policy": "core",
        "river": "", "basin": "", "variables": "precipitation:10",
    }  # fmt: skip


def upload(existing: Station) -> str:
    """Two new stations and a new name for an existing one."""
    rows = [
        row("RV-NEW-1", "Trạm mới Hải Phòng", 106.68, 20.86),
        row("RV-NEW-2", "Trạm mới Nam Định", 106.17, 20.42),
        row(existing.national_code, "Trạm nhập đổi tên", 105.85, 21.03),
    ]
    return to_csv(rows, COLUMNS)


def name_of(client: TestClient, world: ReviewWorld, station: Station) -> Any:
    return client.get(f"{STATIONS}/{station.id}", headers=world.editor).json()["name"]


def test_an_import_under_review_writes_nothing_until_approved_and_everything_after(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    existing = make_station(db, "MOT", name="Trạm cũ")
    request = submitted(post_csv(client, world.editor, upload(existing)), "import")
    report = request["report"]
    assert (report["created"], report["updated"], report["unchanged"], report["errors"]) == (2, 1, 0, [])
    assert report["base_revisions"] == {str(existing.id): 1}
    assert [(r["line"], r["national_code"], r["action"]) for r in report["rows"]] == [
        (2, "RV-NEW-1", "create"), (3, "RV-NEW-2", "create"), (4, existing.national_code, "update"),
    ]  # fmt: skip
    assert count_like(db, "RV-NEW-%") == 0
    assert name_of(client, world, existing) == "Trạm cũ"
    feed = client.get("/share/v1/changes", params={"limit": 1000}, headers=world.partner).text
    assert "RV-NEW" not in feed and "Trạm nhập đổi tên" not in feed

    approved = decide(client, world.reviewer, request["id"], "approve")
    assert approved.status_code == 200, approved.text
    assert count_like(db, "RV-NEW-%") == 2
    assert name_of(client, world, existing) == "Trạm nhập đổi tên"
    history = client.get(f"{STATIONS}/{existing.id}/history", headers=world.editor).json()["items"]
    assert history[-1]["op"] == "import" and history[-1]["approved_by"] == approved.json()["decided_by"]
    assert history[-1]["actor"] == request["submitted_by"]
    feed = client.get("/share/v1/changes", params={"limit": 1000}, headers=world.partner).text
    assert "RV-NEW-1" in feed and "RV-NEW-2" in feed and "Trạm nhập đổi tên" in feed


def test_an_import_whose_station_changed_meanwhile_is_stale_and_writes_nothing(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    existing = make_station(db, "MOT", name="Trạm cũ")
    request = submitted(post_csv(client, world.editor, upload(existing)), "import")
    moved = client.patch(
        f"{STATIONS}/{existing.id}", json={"elevation_m": 7.0}, headers=world.reviewer | {"If-Match": '"r1"'}
    )
    assert moved.status_code == 200, moved.text
    assert_problem(decide(client, world.reviewer, request["id"], "approve"), 409, "change-request-stale")
    assert count_like(db, "RV-NEW-%") == 0
    assert name_of(client, world, existing) == "Trạm cũ"
    status = client.get(f"{CHANGE_REQUESTS}/{request['id']}", headers=world.editor).json()["status"]
    assert status == "stale"


def test_a_dry_run_a_refused_file_and_a_file_changing_nothing_submit_no_request(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    existing = make_station(db, "MOT", name="Trạm cũ")
    dry = post_csv(client, world.editor, upload(existing), dry_run="true")
    assert dry.status_code == 200 and dry.json()["dry_run"] is True and dry.json()["created"] == 2
    bad = to_csv([row("RV-BAD-1", "Trạm sai", 90.0, 180.0)], COLUMNS)
    assert_problem(post_csv(client, world.editor, bad), 422, "import-rejected")
    same = to_csv([row(existing.national_code, "Trạm cũ", 105.85, 21.03) | {"elevation_m": "10"}], COLUMNS)
    unchanged = post_csv(client, world.editor, same)
    assert unchanged.status_code == 200, unchanged.text
    assert unchanged.json()["unchanged"] == 1 and unchanged.json()["dry_run"] is False
    assert client.get(CHANGE_REQUESTS, headers=world.reviewer).json()["items"] == []
    assert count_like(db, "RV-%") == 0
