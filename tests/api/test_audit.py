"""The audit trail: admin actions recorded in their own transaction, readable by admins, never editable."""

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from domain.access.models import Organization, OrganizationKind, Principal, Role
from domain.access.rules import hash_key
from domain.audit.service import set_actor
from tests.factories import make_key, make_org
from tests.factories_equipment import TEST_AUTO, load_kinds
from tests.factories_registry import API, assert_problem, keyed, unique_code
from tests.factories_zones import zone_feature

AUDIT = f"{API}/audit"
COVERAGE_NORM = {"station_type": "rain_gauge", "zone_category": "coastal", "area_per_station_km2": 900,
                 "source": "WMO-No. 168"}  # fmt: skip


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    return make_key(db, "NCHMF", Role.admin)


def _events(client: TestClient, headers: dict[str, str], **query: Any) -> list[dict[str, Any]]:
    response = client.get(AUDIT, params=query | {"limit": 1000}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_every_kind_of_admin_action_is_recorded_with_who_and_the_values_before_and_after(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    load_kinds(db)
    org = unique_code("AUD")
    post = lambda path, body: client.post(f"{API}{path}", json=body, headers=admin)  # noqa: E731
    assert post("/organizations", {"code": org, "name": "Audited", "kind": "partner"}).status_code == 201
    key = post(f"/organizations/{org}/keys", {"role": "partner"}).json()
    rotated = post(f"/keys/{key['id']}/rotate", {"grace_period_s": 60}).json()
    assert client.delete(f"{API}/keys/{rotated['id']}", headers=admin).status_code == 200
    assert client.put(f"/share/v1/agreements/{org}", json={"note": "MOU"}, headers=admin).status_code == 200
    assert client.put(f"/share/v1/agreements/{org}", json={"note": "MOU 2"}, headers=admin).status_code == 200
    assert client.delete(f"/share/v1/agreements/{org}", headers=admin).status_code == 204
    zone = f"aud-{uuid.uuid4().hex[:6]}"
    assert post("/zones", zone_feature(code=zone)).status_code == 201
    patch = client.patch(f"{API}/zones/{zone}", json={"properties": {"name": "Renamed"}},
                         headers=admin | {"If-Match": '"r1"'})  # fmt: skip
    assert patch.status_code == 200, patch.text
    assert client.delete(f"{API}/zones/{zone}", headers=admin).status_code == 204
    norm = post(
        "/norms", {"kind": TEST_AUTO, "action": "inspection", "interval_days": 30, "source": "t"}
    ).json()
    changed = client.patch(f"{API}/norms/{norm['id']}", json={"interval_days": 60},
                           headers=admin | {"If-Match": '"r1"'})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert client.delete(f"{API}/norms/{norm['id']}", headers=admin).status_code == 204
    cov = post("/coverage-norms", COVERAGE_NORM).json()
    assert client.delete(f"{API}/coverage-norms/{cov['id']}", headers=admin).status_code == 204

    events = _events(client, admin)
    actions = [e["action"] for e in reversed(events)]
    for expected in ["organization.created", "api_key.created", "api_key.rotated", "api_key.revoked",
                     "sharing_agreement.created", "sharing_agreement.updated", "sharing_agreement.deleted",
                     "zone.created", "zone.updated", "zone.deleted", "maintenance_norm.created",
                     "maintenance_norm.updated", "maintenance_norm.deleted", "coverage_norm.created",
                     "coverage_norm.deleted"]:  # fmt: skip
        assert expected in actions, (expected, actions)
    mine = {org, key["id"], rotated["id"], zone, str(norm["id"]), str(cov["id"])}
    by_action = {e["action"]: e for e in reversed(events) if e["resource_id"] in mine}  # newest wins
    admin_key = by_action["organization.created"]
    assert admin_key["actor_organization"] == "NCHMF" and admin_key["actor_role"] == "admin"
    assert admin_key["actor_key_id"] and admin_key["actor"].endswith(admin_key["actor_key_id"])
    assert by_action["organization.created"]["after"]["name"] == "Audited"
    assert by_action["organization.created"]["before"] is None
    norm_change = by_action["maintenance_norm.updated"]
    assert (norm_change["before"]["interval_days"], norm_change["after"]["interval_days"]) == (30, 60)
    assert by_action["maintenance_norm.deleted"]["after"] is None
    assert by_action["zone.updated"]["before"]["name"] != by_action["zone.updated"]["after"]["name"]
    assert set(by_action["zone.created"]["after"]["geom"]) == {"type", "bounds", "sha256"}
    agreement = by_action["sharing_agreement.updated"]
    assert (agreement["before"]["note"], agreement["after"]["note"], agreement["organization"]) == (
        "MOU", "MOU 2", org)  # fmt: skip
    rotation = by_action["api_key.rotated"]
    assert rotation["resource_id"] == key["id"] and rotation["after"]["replaced_by"] == rotated["id"]
    assert rotation["before"]["expires_at"] is None and rotation["after"]["expires_at"]
    assert by_action["api_key.revoked"]["before"]["revoked_at"] is None


def test_the_trail_never_holds_a_key_secret_or_its_hash(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    org, _ = keyed(db, Role.viewer)
    created = client.post(f"{API}/organizations/{org}/keys", json={"role": "viewer"}, headers=admin).json()
    rotated = client.post(f"{API}/keys/{created['id']}/rotate", json={}, headers=admin).json()
    secrets = [created["key"], rotated["key"]]
    dump = db.execute(
        text("SELECT coalesce(string_agg(row_to_json(a)::text, ' '), '') FROM audit_event a")
    ).scalar()
    assert dump and created["id"] in dump
    for secret in secrets:
        assert secret not in dump and hash_key(secret) not in dump
        assert secret.split("_", 2)[2] not in dump
    assert "key_hash" not in dump
    csv_text = client.get(AUDIT, params={"f": "csv", "limit": 1000}, headers=admin).text
    assert all(s not in csv_text and hash_key(s) not in csv_text for s in secrets)


def test_only_admins_read_the_trail(client: TestClient, db: Session) -> None:
    for role in (Role.editor, Role.viewer, Role.partner):
        assert_problem(client.get(AUDIT, headers=keyed(db, role)[1]), 403, "access-denied")
    assert_problem(client.get(AUDIT), 401, "unauthenticated")


def test_the_trail_cannot_be_changed_over_http_or_in_sql(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    client.post(f"{API}/organizations", json={"code": unique_code("IMM"), "name": "x", "kind": "ministry"},
                headers=admin)  # fmt: skip
    event = _events(client, admin)[0]
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.request(method, AUDIT, headers=admin).status_code == 405
        assert client.request(method, f"{AUDIT}/{event['id']}", headers=admin).status_code in (404, 405)
    for sql in (
        "UPDATE audit_event SET actor = 'someone else'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
            db.execute(text(sql))
    assert _events(client, admin)[0] == event


def test_an_action_that_fails_leaves_no_audit_row(db: Session) -> None:
    count = lambda: db.execute(text("SELECT count(*) FROM audit_event")).scalar()  # noqa: E731
    before = count()
    token = set_actor(Principal(organization="NCHMF", role=Role.admin, key_id=uuid.uuid4()))
    try:
        nested = db.begin_nested()
        db.add(Organization(code=unique_code("RB"), name="rolled back", kind=OrganizationKind.ministry))
        db.flush()
        assert count() == before + 1  # recorded by the flush, in the same transaction
        nested.rollback()
    finally:
        set_actor(None)
        del token
    assert count() == before


def test_any_organization_column_change_is_recorded_whatever_the_use_case(db: Session) -> None:
    org = make_org(db, unique_code("SET"))
    set_actor(Principal(organization="NCHMF", role=Role.admin, key_id=uuid.uuid4()))
    try:
        org.name = "A new name"
        org.province = "VN-HN"
        db.commit()
    finally:
        set_actor(None)
    row = db.execute(
        text("SELECT action, before, after FROM audit_event WHERE resource_id = :c ORDER BY id DESC LIMIT 1"),
        {"c": org.code},
    ).one()
    assert row.action == "organization.updated"
    assert (row.before["name"], row.after["name"]) == (f"Organization {org.code}", "A new name")
    assert (row.before["province"], row.after["province"]) == (None, "VN-HN")


def test_the_trail_is_filtered_paged_and_exported_as_csv(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    orgs = [unique_code("PG") for _ in range(3)]
    for code in orgs:
        client.post(
            f"{API}/organizations", json={"code": code, "name": code, "kind": "ministry"}, headers=admin
        )
    client.post(f"{API}/organizations/{orgs[0]}/keys", json={"role": "viewer"}, headers=admin)
    mine = _events(client, admin, resource="organization", action="organization.created")
    assert [e["resource_id"] for e in mine[:3]] == orgs[::-1]  # newest first
    assert [e["action"] for e in _events(client, admin, organization=orgs[0])] == [
        "api_key.created", "organization.created"]  # fmt: skip
    admin_key_id = mine[0]["actor_key_id"]
    assert {e["actor_key_id"] for e in _events(client, admin, actor=admin_key_id)} == {admin_key_id}
    now = datetime.now(UTC)
    assert _events(client, admin, since=(now + timedelta(hours=1)).isoformat()) == []
    assert len(_events(client, admin, until=(now + timedelta(hours=1)).isoformat())) >= 4
    seen, pages, url = [], 0, f"{AUDIT}?resource=organization&limit=1"
    while url:
        page = client.get(url, headers=admin).json()
        seen += [e["resource_id"] for e in page["items"]]
        url, pages = page["next"], pages + 1
    assert seen[:3] == orgs[::-1] and pages == len(seen) >= 3
    exported = client.get(AUDIT, params={"f": "csv", "organization": orgs[0]}, headers=admin)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows] == ["api_key.created", "organization.created"]
    assert '"name"' in rows[1]["after"] and rows[1]["before"] == ""
    assert_problem(
        client.get(AUDIT, params={"resource": "station"}, headers=admin), 400, "invalid-query", "resource"
    )
    assert_problem(
        client.get(AUDIT, params={"cursor": "nope!"}, headers=admin), 400, "invalid-query", "cursor"
    )
    assert_problem(
        client.get(AUDIT, params={"since": now.isoformat(), "until": (now - timedelta(1)).isoformat()}, headers=admin),
        400, "invalid-query", "since",
    )  # fmt: skip
