"""WIGOS identifiers: the issue-number register and issuing identifiers to stations, through the API."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import make_key, make_station
from tests.factories_wigos import assign_number

PROBLEM = "application/problem+json"


def test_admin_assigns_lists_and_retires_issue_numbers(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    make_key(db, "EVN", Role.editor)
    entry = assign_number(client, admin, 12, "EVN", network="hydropower reservoirs")
    assert entry["block"] == "0-704-12-*" and entry["organization"] == "EVN" and entry["retired_at"] is None
    listed = client.get("/api/v1/wigos/issue-numbers", headers=admin).json()
    assert [(e["number"], e["organization"], e["network"]) for e in listed] == [
        (12, "EVN", "hydropower reservoirs")
    ]
    retired = client.delete("/api/v1/wigos/issue-numbers/12", headers=admin)
    assert retired.status_code == 200 and retired.json()["retired_at"] is not None
    again = client.post(
        "/api/v1/wigos/issue-numbers", json={"number": 12, "organization": "NCHMF"}, headers=admin
    )
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    assert again.json()["type"].endswith("/issue-number-taken")


def test_editor_may_not_touch_the_register(client: TestClient, db: Session) -> None:
    editor = make_key(db, "EVN", Role.editor)
    assert client.get("/api/v1/wigos/issue-numbers", headers=editor).status_code == 403
    denied = client.post(
        "/api/v1/wigos/issue-numbers", json={"number": 3, "organization": "EVN"}, headers=editor
    )
    assert denied.status_code == 403


def test_issue_number_out_of_range_is_a_422_naming_the_field(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    response = client.post(
        "/api/v1/wigos/issue-numbers", json={"number": 65535, "organization": "NCHMF"}, headers=admin
    )
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert "number" in response.text


def test_issuing_gives_the_next_free_local_id_and_makes_it_primary(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    editor = make_key(db, "EVN", Role.editor)
    assign_number(client, admin, 7, "EVN", db)
    first, second = make_station(db, owner="EVN"), make_station(db, owner="EVN")
    a = client.post(f"/api/v1/stations/{first.id}/wigos-ids", headers=editor)
    b = client.post(f"/api/v1/stations/{second.id}/wigos-ids", json={"reason": "for OSCAR"}, headers=editor)
    assert (a.status_code, b.status_code) == (201, 201), (a.text, b.text)
    assert a.json()["wsi"] == "0-704-7-1" and b.json()["wsi"] == "0-704-7-2"
    assert a.json()["primary"] is True and a.json()["wigos_ids"] == ["0-704-7-1"]
    station = client.get(f"/api/v1/stations/{first.id}", headers=editor).json()
    assert station["wigos_ids"] == ["0-704-7-1"]
    history = client.get(f"/api/v1/stations/{second.id}/history", headers=editor).json()["items"]
    assert history[-1]["op"] == "wigos_id" and history[-1]["reason"] == "for OSCAR"
    assert history[-1]["changes"] == {"wigos_ids": [[], ["0-704-7-2"]]} and history[-1]["actor"]


def test_a_second_identifier_is_not_primary(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    assign_number(client, admin, 8, "MOC", db)
    station = make_station(db, owner="MOC", wigos_ids=["0-20000-0-48820"])
    issued = client.post(f"/api/v1/stations/{station.id}/wigos-ids", headers=admin).json()
    assert issued["primary"] is False and issued["wigos_ids"] == ["0-20000-0-48820", "0-704-8-1"]


def test_an_identifier_is_never_issued_again_even_after_the_station_closes(
    client: TestClient, db: Session
) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    assign_number(client, admin, 9, "MOC", db)
    old = make_station(db, owner="MOC")
    wsi = client.post(f"/api/v1/stations/{old.id}/wigos-ids", headers=admin).json()["wsi"]
    etag = client.get(f"/api/v1/stations/{old.id}", headers=admin).headers["etag"]
    dropped = client.patch(
        f"/api/v1/stations/{old.id}", json={"wigos_ids": []}, headers=admin | {"If-Match": etag}
    )
    assert dropped.status_code == 200
    assert (
        client.request(
            "DELETE", f"/api/v1/stations/{old.id}", json={"reason": "moved"}, headers=admin
        ).status_code
        == 200
    )
    new = make_station(db, owner="MOC")
    asked = client.post(f"/api/v1/stations/{new.id}/wigos-ids", json={"wsi": wsi}, headers=admin)
    assert asked.status_code == 409 and asked.json()["type"].endswith("/wigos-id-already-issued")
    etag = client.get(f"/api/v1/stations/{new.id}", headers=admin).headers["etag"]
    patched = client.patch(
        f"/api/v1/stations/{new.id}", json={"wigos_ids": [wsi]}, headers=admin | {"If-Match": etag}
    )
    assert patched.status_code == 409 and "never reused" in patched.json()["detail"]
    nxt = client.post(f"/api/v1/stations/{new.id}/wigos-ids", headers=admin).json()["wsi"]
    assert nxt == "0-704-9-2"


def test_a_requested_identifier_is_checked_and_recorded(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    editor = make_key(db, "EVN", Role.editor)
    assign_number(client, admin, 21, "EVN", db)
    station = make_station(db, owner="EVN")
    ok = client.post(
        f"/api/v1/stations/{station.id}/wigos-ids", json={"wsi": "0-704-21-HB01"}, headers=editor
    )
    assert ok.status_code == 201 and ok.json()["issue_number"] == 21
    listed = client.get("/api/v1/wigos/issue-numbers", headers=admin).json()
    assert listed[0]["issued"] == 1


def test_editor_adds_only_identifiers_of_its_own_issue_numbers(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    editor = make_key(db, "EVN", Role.editor)
    assign_number(client, admin, 30, "NCHMF", db)
    station = make_station(db, owner="EVN")
    url = f"/api/v1/stations/{station.id}/wigos-ids"
    other_block = client.post(url, json={"wsi": "0-704-30-1"}, headers=editor)
    assert other_block.status_code == 403 and other_block.headers["content-type"] == PROBLEM
    wmo_block = client.post(url, json={"wsi": "0-20000-0-48820"}, headers=editor)
    assert wmo_block.status_code == 403 and "admins" in wmo_block.json()["detail"]
    unregistered = client.post(url, json={"wsi": "0-704-31-1"}, headers=editor)
    assert unregistered.status_code == 422 and unregistered.json()["type"].endswith("/issue-number-not-found")
    none_held = client.post(url, headers=editor)
    assert none_held.status_code == 422 and none_held.json()["type"].endswith("/no-issue-number")
    by_admin = client.post(url, json={"wsi": "0-20000-0-48820"}, headers=admin)
    assert by_admin.status_code == 201 and by_admin.json()["issue_number"] is None


def test_editor_cannot_issue_for_another_organizations_station(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    editor = make_key(db, "EVN", Role.editor)
    assign_number(client, admin, 40, "EVN", db)
    foreign = make_station(db, owner="MOT")
    assert client.post(f"/api/v1/stations/{foreign.id}/wigos-ids", headers=editor).status_code == 403


def test_retired_issue_number_issues_nothing_more(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    assign_number(client, admin, 41, "MOC", db)
    client.delete("/api/v1/wigos/issue-numbers/41", headers=admin)
    station = make_station(db, owner="MOC")
    refused = client.post(
        f"/api/v1/stations/{station.id}/wigos-ids", json={"issue_number": 41}, headers=admin
    )
    assert refused.status_code == 422
    asked = client.post(f"/api/v1/stations/{station.id}/wigos-ids", json={"wsi": "0-704-41-5"}, headers=admin)
    assert asked.status_code == 422 and asked.json()["type"].endswith("/issue-number-retired")


def test_restricted_station_of_another_organization_is_not_found(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    editor = make_key(db, "EVN", Role.editor)
    assign_number(client, admin, 42, "EVN", db)
    hidden = make_station(db, owner="MOD", data_policy="restricted")
    response = client.post(f"/api/v1/stations/{hidden.id}/wigos-ids", headers=editor)
    assert response.status_code == 404


def test_malformed_requested_identifier_is_a_422(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    station = make_station(db, owner="MOC")
    response = client.post(f"/api/v1/stations/{station.id}/wigos-ids", json={"wsi": "0-704-x"}, headers=admin)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM


def test_an_import_cannot_give_an_issued_identifier_to_another_station(
    client: TestClient, db: Session
) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    assign_number(client, admin, 43, "MOC", db)
    first = make_station(db, owner="MOC")
    wsi = client.post(f"/api/v1/stations/{first.id}/wigos-ids", headers=admin).json()["wsi"]
    etag = client.get(f"/api/v1/stations/{first.id}", headers=admin).headers["etag"]
    client.patch(f"/api/v1/stations/{first.id}", json={"wigos_ids": []}, headers=admin | {"If-Match": etag})
    body = (
        "national_code,name,network,station_types,automation,latitude,longitude,wigos_ids\n"
        f"LEDGER-1,Trạm khác,national,synoptic,manual,21.0,105.8,{wsi}\n"
    )
    response = client.post(
        "/api/v1/imports/stations",
        content=body,
        headers=admin | {"Content-Type": "text/csv"},
        params={"owner": "MOC"},
    )
    assert response.status_code == 422
    assert [(e["field"], e["value"]) for e in response.json()["errors"]] == [("wigos_ids", wsi)]
    assert "never reused" in response.json()["errors"][0]["reason"]
