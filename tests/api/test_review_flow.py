"""Review of organizations under review: registrations, changes and closures wait for a reviewer.

Every check goes through HTTP on the real database: what a partner, the public OGC API and the change
feed see before and after approval, stale approvals, refusals, who sees which request.
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import OrganizationKind, Role
from tests.factories import make_key, make_org, make_station, station_body
from tests.factories_equipment import item_body, load_kinds
from tests.factories_registry import STATIONS, assert_problem
from tests.factories_review import CHANGE_REQUESTS, ReviewWorld, decide, make_review_world, submitted


@pytest.fixture
def world(db: Session) -> ReviewWorld:
    return make_review_world(db)


def partner_sees(client: TestClient, world: ReviewWorld, text: str) -> dict[str, bool]:
    """Return whether `text` is in the partner's share view, the anonymous OGC items and the feed."""
    responses = {
        "share": client.get("/share/v1/stations", headers=world.partner),
        "ogc": client.get("/ogc/collections/stations/items", params={"limit": 1000}),
        "feed": client.get("/share/v1/changes", params={"limit": 1000}, headers=world.partner),
    }
    assert all(r.status_code == 200 for r in responses.values()), responses
    return {name: text in r.text for name, r in responses.items()}


def test_ministry_editors_new_station_is_invisible_until_approved_then_published(
    client: TestClient, world: ReviewWorld
) -> None:
    body = station_body(name="Trạm chờ duyệt Cát Bà")
    request = submitted(client.post(STATIONS, json=body, headers=world.editor), "create")
    code, station_id = body["national_code"], request["station_id"]
    assert {"field": "national_code", "before": None, "after": code} in request["diff"]
    assert request["organization"] == "MOT" and request["submitted_by"].startswith("MOT/editor/")
    assert partner_sees(client, world, code) == {"share": False, "ogc": False, "feed": False}
    assert client.get(f"{STATIONS}/{station_id}", headers=world.editor).status_code == 404
    assert code not in client.get(STATIONS, params={"owner": "MOT"}, headers=world.reviewer).text

    approved = decide(client, world.reviewer, request["id"], "approve", "đúng quy hoạch")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["decided_by"].startswith(
        "NCHMF/reviewer/"
    )
    assert partner_sees(client, world, code) == {"share": True, "ogc": True, "feed": True}
    station = client.get(f"{STATIONS}/{station_id}", headers=world.editor)
    assert station.status_code == 200 and station.json()["owner"] == "MOT"
    (revision,) = client.get(f"{STATIONS}/{station_id}/history", headers=world.editor).json()["items"]
    assert revision["actor"] == request["submitted_by"]
    assert revision["approved_by"] == approved.json()["decided_by"]


def test_change_and_closure_under_review_publish_nothing_until_approved(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    station = make_station(db, "MOT", name="Trạm gốc")
    change = client.patch(
        f"{STATIONS}/{station.id}", json={"name": "Trạm đổi tên"}, headers=world.editor | {"If-Match": '"r1"'}
    )
    request = submitted(change, "update")
    assert request["base_revision"] == 1 and request["station_id"] == str(station.id)
    assert request["diff"] == [{"field": "name", "before": "Trạm gốc", "after": "Trạm đổi tên"}]
    assert client.get(f"{STATIONS}/{station.id}", headers=world.editor).json()["name"] == "Trạm gốc"
    assert decide(client, world.reviewer, request["id"], "approve").status_code == 200
    assert client.get(f"{STATIONS}/{station.id}", headers=world.editor).json()["name"] == "Trạm đổi tên"
    same = client.patch(
        f"{STATIONS}/{station.id}", json={"name": "Trạm đổi tên"}, headers=world.editor | {"If-Match": '"r2"'}
    )
    assert same.status_code == 200 and same.headers["etag"] == '"r2"'  # nothing to review, nothing written
    stale_etag = client.patch(
        f"{STATIONS}/{station.id}", json={"name": "x"}, headers=world.editor | {"If-Match": '"r1"'}
    )
    assert_problem(stale_etag, 412, "precondition-failed")
    assert_problem(
        client.patch(f"{STATIONS}/{station.id}", json={"name": "x"}, headers=world.editor),
        428,
        "precondition-required",
    )

    closing = client.request(
        "DELETE", f"{STATIONS}/{station.id}", json={"reason": "dời trạm"}, headers=world.editor
    )
    close = submitted(closing, "close")
    assert {"field": "status", "before": "operational", "after": "closed"} in close["diff"]
    assert client.get(f"{STATIONS}/{station.id}", headers=world.editor).json()["status"] == "operational"
    assert decide(client, world.admin, close["id"], "approve").status_code == 200
    closed = client.get(f"{STATIONS}/{station.id}", headers=world.editor).json()
    assert closed["status"] == "closed" and closed["close_reason"] == "dời trạm"
    history = client.get(f"{STATIONS}/{station.id}/history", headers=world.editor).json()["items"]
    assert [(r["op"], r["approved_by"] is not None) for r in history] == [
        ("create", False), ("update", True), ("close", True),
    ]  # fmt: skip


def test_second_approval_on_a_changed_station_is_409_and_the_request_becomes_stale(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    station = make_station(db, "MOT")
    url, headers = f"{STATIONS}/{station.id}", world.editor | {"If-Match": '"r1"'}
    first = submitted(client.patch(url, json={"name": "Tên thứ nhất"}, headers=headers), "update")
    second = submitted(client.patch(url, json={"name": "Tên thứ hai"}, headers=headers), "update")
    assert decide(client, world.reviewer, first["id"], "approve").status_code == 200
    stale = decide(client, world.reviewer, second["id"], "approve")
    assert_problem(stale, 409, "change-request-stale", "revision 2")
    assert client.get(f"{CHANGE_REQUESTS}/{second['id']}", headers=world.editor).json()["status"] == "stale"
    assert client.get(url, headers=world.editor).json()["name"] == "Tên thứ nhất"
    assert len(client.get(f"{url}/history", headers=world.editor).json()["items"]) == 2


def test_a_direct_change_by_a_reviewer_makes_a_pending_closure_stale(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    station = make_station(db, "MOT")
    close = submitted(
        client.request("DELETE", f"{STATIONS}/{station.id}", params={"reason": "x"}, headers=world.editor),
        "close",
    )
    direct = client.patch(
        f"{STATIONS}/{station.id}", json={"elevation_m": 3.0}, headers=world.reviewer | {"If-Match": '"r1"'}
    )
    assert direct.status_code == 200, direct.text
    assert_problem(decide(client, world.admin, close["id"], "approve"), 409, "change-request-stale")
    assert client.get(f"{STATIONS}/{station.id}", headers=world.editor).json()["status"] == "operational"


def test_refusals_are_problems(client: TestClient, db: Session, world: ReviewWorld) -> None:
    request = submitted(client.post(STATIONS, json=station_body(), headers=world.editor), "create")
    rid = request["id"]
    assert_problem(decide(client, world.reviewer, rid, "reject"), 422, "comment-required", "#/comment")
    assert_problem(decide(client, world.reviewer, rid, "reject", "  "), 422, "comment-required")
    own_reviewer = make_key(db, "MOT", Role.reviewer)
    assert_problem(decide(client, own_reviewer, rid, "approve"), 403, "own-organization-review")
    assert_problem(decide(client, world.editor, rid, "approve"), 403, "access-denied")
    assert_problem(decide(client, world.partner, rid, "approve"), 403, "access-denied")
    rejected = decide(client, world.reviewer, rid, "reject", "thiếu cơ sở pháp lý")
    assert rejected.status_code == 200 and rejected.json()["comment"] == "thiếu cơ sở pháp lý"
    assert_problem(
        decide(client, world.reviewer, rid, "approve"), 409, "change-request-not-submitted", "rejected"
    )
    assert_problem(
        client.delete(f"{CHANGE_REQUESTS}/{rid}", headers=world.editor), 409, "change-request-not-submitted"
    )
    assert client.get(f"{STATIONS}/{request['station_id']}", headers=world.reviewer).status_code == 404
    missing = "00000000-0000-0000-0000-000000000000"
    assert_problem(decide(client, world.reviewer, missing, "approve"), 404, "change-request-not-found")
    assert_problem(decide(client, world.reviewer, "not-a-uuid", "approve"), 400, "invalid-query")


def test_an_admin_may_approve_its_own_organizations_request(client: TestClient, db: Session) -> None:
    make_org(db, "NCHMF", OrganizationKind.national_agency, review_required=True)
    editor, admin = make_key(db, "NCHMF", Role.editor), make_key(db, "NCHMF", Role.admin)
    request = submitted(client.post(STATIONS, json=station_body(), headers=editor), "create")
    assert decide(client, admin, request["id"], "approve").status_code == 200


def test_only_the_submitting_organization_withdraws(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    request = submitted(client.post(STATIONS, json=station_body(), headers=world.editor), "create")
    url = f"{CHANGE_REQUESTS}/{request['id']}"
    other_editor = make_key(db, "MOC", Role.editor)
    assert_problem(client.delete(url, headers=other_editor), 404, "change-request-not-found")
    assert_problem(client.delete(url, headers=world.reviewer), 403, "access-denied")
    withdrawn = client.delete(url, headers=world.editor)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert_problem(
        decide(client, world.reviewer, request["id"], "approve"), 409, "change-request-not-submitted"
    )
    assert client.get(f"{STATIONS}/{request['station_id']}", headers=world.reviewer).status_code == 404


def test_editors_see_their_organizations_requests_reviewers_see_all_oldest_first(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    make_org(db, "VN-HN", OrganizationKind.province, review_required=True)
    province = make_key(db, "VN-HN", Role.editor)
    first = submitted(client.post(STATIONS, json=station_body(), headers=world.editor), "create")
    second = submitted(client.post(STATIONS, json=station_body(), headers=province), "create")
    third = submitted(client.post(STATIONS, json=station_body(), headers=world.editor), "create")
    decide(client, world.reviewer, third["id"], "reject", "trùng trạm")

    def ids(headers: dict[str, str], **params: Any) -> list[str]:
        response = client.get(CHANGE_REQUESTS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    assert ids(world.reviewer, status="submitted") == [first["id"], second["id"]]
    assert ids(world.reviewer, organization="VN-HN") == [second["id"]]
    assert ids(world.reviewer, station_id=first["station_id"]) == [first["id"]]
    assert ids(world.editor) == [first["id"], third["id"]]
    assert ids(world.editor, organization="VN-HN") == []
    assert ids(world.editor, status="rejected") == [third["id"]]
    assert client.get(f"{CHANGE_REQUESTS}/{second['id']}", headers=world.editor).status_code == 404
    page = client.get(
        CHANGE_REQUESTS, params={"limit": 1, "status": "submitted"}, headers=world.reviewer
    ).json()
    nxt = client.get(page["next"], headers=world.reviewer).json()
    assert [r["id"] for r in page["items"] + nxt["items"]] == [first["id"], second["id"]]
    assert_problem(
        client.get(CHANGE_REQUESTS, params={"status": "pending"}, headers=world.reviewer),
        400,
        "invalid-query",
        "#/status",
    )
    assert_problem(client.get(CHANGE_REQUESTS, headers=world.partner), 403, "access-denied")
    assert_problem(
        client.get(CHANGE_REQUESTS, params={"cursor": "@@"}, headers=world.reviewer), 400, "invalid-query"
    )


def test_an_organization_without_review_gets_todays_answers(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    national_editor = make_key(db, "NCHMF", Role.editor)
    assert client.post(STATIONS, json=station_body(), headers=national_editor).status_code == 201
    assert client.get(CHANGE_REQUESTS, headers=world.reviewer).json()["items"] == []


def test_admins_set_review_required_and_the_default_follows_the_kind(
    client: TestClient, world: ReviewWorld
) -> None:
    orgs = "/api/v1/organizations"
    for code, kind, expected in (
        ("EVN", "enterprise", True),
        ("VN-DN", "province", True),
        ("NCHMF2", "national_agency", False),
    ):
        created = client.post(orgs, json={"code": code, "name": code, "kind": kind}, headers=world.admin)
        assert created.status_code == 201 and created.json()["review_required"] is expected, created.text
    assert_problem(
        client.patch(f"{orgs}/MOT", json={"review_required": False}, headers=world.reviewer),
        403,
        "access-denied",
    )
    turned = client.patch(f"{orgs}/MOT", json={"review_required": False}, headers=world.admin)
    assert turned.status_code == 200 and turned.json()["review_required"] is False
    assert client.post(STATIONS, json=station_body(), headers=world.editor).status_code == 201
    assert_problem(
        client.patch(f"{orgs}/MOT", json={"kind": "partner"}, headers=world.admin),
        422,
        "invalid-body",
        "#/kind",
    )


def test_a_reviewer_edits_directly_under_an_admins_rules_and_sees_restricted_stations(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    make_org(db, "MOD")
    secret = make_station(db, "MOD", data_policy="restricted")
    assert client.get(f"{STATIONS}/{secret.id}", headers=world.reviewer).status_code == 200
    assert str(secret.id) in client.get(STATIONS, params={"owner": "MOD"}, headers=world.reviewer).text
    assert_problem(
        client.post(STATIONS, json=station_body(), headers=world.reviewer), 422, "rule-violation", "#/owner"
    )
    created = client.post(STATIONS, json=station_body(owner="MOT"), headers=world.reviewer)
    assert created.status_code == 201 and created.json()["owner"] == "MOT"
    assert client.get(CHANGE_REQUESTS, headers=world.reviewer).json()["items"] == []


def test_metrics_show_the_queue_length_and_the_oldest_age(client: TestClient, world: ReviewWorld) -> None:
    def gauge(name: str) -> float:
        lines = [x for x in client.get("/metrics").text.splitlines() if x.startswith(name + " ")]
        return float(lines[0].split()[1])

    assert gauge("hydromet_change_requests_submitted") == 0
    assert gauge("hydromet_change_requests_oldest_age_seconds") == 0
    for _ in range(2):
        submitted(client.post(STATIONS, json=station_body(), headers=world.editor), "create")
    assert gauge("hydromet_change_requests_submitted") == 2
    assert gauge("hydromet_change_requests_oldest_age_seconds") > 0


def test_a_submission_is_checked_as_a_direct_write_and_refused_without_a_request(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    taken = make_station(db, "MOT")
    make_org(db, "MOD")
    other = make_station(db, "MOD")
    outside = station_body(location={"type": "Point", "coordinates": [2.35, 48.85]})
    assert_problem(
        client.post(STATIONS, json=outside, headers=world.editor), 422, "point-outside-service-area"
    )
    dup = station_body(national_code=taken.national_code)
    assert_problem(client.post(STATIONS, json=dup, headers=world.editor), 409, "duplicate-station-code")
    assert_problem(
        client.post(STATIONS, json=station_body(owner="MOD"), headers=world.editor), 403, "access-denied"
    )
    foreign = client.patch(
        f"{STATIONS}/{other.id}", json={"name": "x"}, headers=world.editor | {"If-Match": '"r1"'}
    )
    assert_problem(foreign, 403, "access-denied")
    assert_problem(
        client.request("DELETE", f"{STATIONS}/{other.id}", json={"reason": "x"}, headers=world.editor),
        403,
        "access-denied",
    )
    assert client.get(CHANGE_REQUESTS, headers=world.reviewer).json()["items"] == []


def test_equipment_and_maintenance_stay_direct_for_an_organization_under_review(
    client: TestClient, db: Session, world: ReviewWorld
) -> None:
    load_kinds(db)
    station = make_station(db, "MOT")
    installed = client.post(f"{STATIONS}/{station.id}/equipment", json=item_body(), headers=world.editor)
    assert installed.status_code == 201, installed.text
    item_id = installed.json()["id"]
    record = {"action": "inspection", "performed_on": "2024-02-01"}
    done = client.post(f"/api/v1/equipment/{item_id}/maintenance", json=record, headers=world.editor)
    assert done.status_code == 201, done.text
    history = client.get(f"{STATIONS}/{station.id}/history", headers=world.editor).json()["items"]
    assert history[-1]["op"] == "equipment_add" and history[-1]["approved_by"] is None
    assert client.get(CHANGE_REQUESTS, headers=world.reviewer).json()["items"] == []
