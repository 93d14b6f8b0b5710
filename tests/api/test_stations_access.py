"""Who may change and see which station: editors scoped to their organization, admins, viewers, partners."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Role
from tests.factories import make_key, make_org, station_body
from tests.factories_registry import STATIONS, assert_problem, keyed, register, unique_code


def _get(client: TestClient, headers: dict[str, str], station_id: str) -> dict[str, Any]:
    response = client.get(f"{STATIONS}/{station_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _codes(client: TestClient, headers: dict[str, str], **params: str) -> list[str]:
    response = client.get(STATIONS, params={"limit": "1000", **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [s["national_code"] for s in response.json()["items"]]


def test_an_editor_registers_stations_owned_by_its_own_organization(client: TestClient, db: Session) -> None:
    org, editor = keyed(db, Role.editor)
    implicit = register(client, editor)
    explicit = register(client, editor, owner=org)
    assert implicit["owner"] == explicit["owner"] == org


def test_an_editor_cannot_register_a_station_for_another_organization(
    client: TestClient, db: Session
) -> None:
    _, editor = keyed(db, Role.editor)
    other = unique_code("OTH")
    make_org(db, other)
    body = station_body(owner=other)
    response = client.post(STATIONS, json=body, headers=editor)
    assert_problem(response, 403, "access-denied", "#/owner")
    admin = make_key(db, "NCHMF", Role.admin)
    assert _codes(client, admin, q=body["national_code"]) == []


def test_an_editor_cannot_change_another_organizations_station_and_nothing_changes(
    client: TestClient, db: Session
) -> None:
    _, owner = keyed(db, Role.editor)
    _, intruder = keyed(db, Role.editor)
    station = register(client, owner, name="Trạm gốc")
    url = f"{STATIONS}/{station['id']}"
    patch = client.patch(url, json={"name": "Bị sửa"}, headers=intruder | {"If-Match": '"r1"'})
    assert_problem(patch, 403, "access-denied")
    close = client.request("DELETE", url, json={"reason": "not mine"}, headers=intruder)
    assert_problem(close, 403, "access-denied")
    after = _get(client, owner, station["id"])
    assert (after["name"], after["status"], after["revision"]) == ("Trạm gốc", "operational", 1)
    history = client.get(f"{url}/history", headers=owner).json()["items"]
    assert [r["op"] for r in history] == ["create"]


def test_an_editor_cannot_hand_its_station_to_another_organization(client: TestClient, db: Session) -> None:
    _, editor = keyed(db, Role.editor)
    other = unique_code("OTH")
    make_org(db, other)
    station = register(client, editor)
    url = f"{STATIONS}/{station['id']}"
    response = client.patch(url, json={"owner": other}, headers=editor | {"If-Match": '"r1"'})
    assert_problem(response, 403, "access-denied", "#/owner")
    assert _get(client, editor, station["id"])["owner"] == station["owner"]


def test_only_an_admin_sets_the_owner_and_the_new_owner_then_holds_the_station(
    client: TestClient, db: Session
) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    old_org, old_editor = keyed(db, Role.editor)
    new_org, new_editor = keyed(db, Role.editor)
    station = register(client, admin, owner=old_org)
    assert station["owner"] == old_org
    url = f"{STATIONS}/{station['id']}"
    moved = client.patch(
        url, json={"owner": new_org, "reason": "transfer"}, headers=admin | {"If-Match": '"r1"'}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["owner"] == new_org
    denied = client.patch(url, json={"name": "x"}, headers=old_editor | {"If-Match": '"r2"'})
    assert_problem(denied, 403, "access-denied")
    allowed = client.patch(url, json={"name": "Trạm mới"}, headers=new_editor | {"If-Match": '"r2"'})
    assert allowed.status_code == 200, allowed.text


def test_an_admin_must_name_a_known_owner(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    assert_problem(
        client.post(STATIONS, json=station_body(), headers=admin), 422, "rule-violation", "#/owner"
    )
    unknown = client.post(STATIONS, json=station_body(owner="NO-SUCH-ORG"), headers=admin)
    body = assert_problem(unknown, 422, "unknown-organization", "#/owner", "NO-SUCH-ORG")
    assert body["value"] == "NO-SUCH-ORG"
    operator = client.post(STATIONS, json=station_body(owner="NCHMF", operator="NOPE"), headers=admin)
    assert_problem(operator, 422, "unknown-organization", "#/operator")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "00000000-0000-0000-0000-000000000001"),
        ("created_at", "2000-01-01T00:00:00Z"),
        ("updated_at", "2000-01-01T00:00:00Z"),
        ("revision", 7),
        ("province", "VN-SG"),
        ("search_text", "x"),
        ("zones", ["X"]),
        ("closed_date", "2000-01-01"),
    ],
)
def test_server_set_fields_in_a_body_are_refused_naming_the_field(
    client: TestClient, db: Session, field: str, value: object
) -> None:
    _, editor = keyed(db, Role.editor)
    post = client.post(STATIONS, json=station_body(**{field: value}), headers=editor)
    assert_problem(post, 422, "invalid-body", f"#/{field}")
    station = register(client, editor)
    url = f"{STATIONS}/{station['id']}"
    patch = client.patch(url, json={field: value}, headers=editor | {"If-Match": '"r1"'})
    assert_problem(patch, 422, "invalid-body", f"#/{field}")
    after = _get(client, editor, station["id"])
    assert (after["id"], after["revision"], after["created_at"]) == (station["id"], 1, station["created_at"])


def test_a_viewer_reads_but_cannot_write(client: TestClient, db: Session) -> None:
    org, editor = keyed(db, Role.editor)
    _, viewer = keyed(db, Role.viewer, org=org)
    station = register(client, editor)
    url = f"{STATIONS}/{station['id']}"
    assert _get(client, viewer, station["id"])["id"] == station["id"]
    assert_problem(client.post(STATIONS, json=station_body(), headers=viewer), 403, "access-denied", "editor")
    patch = client.patch(url, json={"name": "x"}, headers=viewer | {"If-Match": '"r1"'})
    assert_problem(patch, 403, "access-denied")
    assert_problem(client.delete(url, params={"reason": "x"}, headers=viewer), 403, "access-denied")
    assert _get(client, viewer, station["id"])["revision"] == 1


def test_a_partner_is_refused_on_the_registry_api(client: TestClient, db: Session) -> None:
    _, editor = keyed(db, Role.editor)
    _, partner = keyed(db, Role.partner)
    station = register(client, editor)
    for method, path in (
        ("GET", STATIONS),
        ("GET", f"{STATIONS}/{station['id']}"),
        ("GET", f"{STATIONS}/{station['id']}/history"),
    ):
        assert_problem(client.request(method, path, headers=partner), 403, "access-denied")
    assert_problem(client.post(STATIONS, json=station_body(), headers=partner), 403, "access-denied")


def test_a_restricted_station_is_invisible_to_other_organizations(client: TestClient, db: Session) -> None:
    org, editor = keyed(db, Role.editor)
    _, own_viewer = keyed(db, Role.viewer, org=org)
    _, other_viewer = keyed(db, Role.viewer)
    _, other_editor = keyed(db, Role.editor)
    admin = make_key(db, "NCHMF", Role.admin)
    secret = register(client, editor, data_policy="restricted", wigos_ids=["0-704-9-SECRET1"])
    public = register(client, editor)
    url = f"{STATIONS}/{secret['id']}"
    for headers in (other_viewer, other_editor):
        assert_problem(client.get(url, headers=headers), 404, "station-not-found")
        assert_problem(client.get(f"{url}/history", headers=headers), 404, "station-not-found")
        as_of = client.get(url, params={"as_of": secret["created_at"]}, headers=headers)
        assert_problem(as_of, 404, "station-not-found")
        assert _codes(client, headers, owner=org) == [public["national_code"]]
        assert _codes(client, headers, wigos_id="0-704-9-SECRET1") == []
        assert _codes(client, headers, q=secret["national_code"]) == []
    patch = client.patch(url, json={"name": "x"}, headers=other_editor | {"If-Match": '"r1"'})
    assert_problem(patch, 404, "station-not-found")
    for headers in (own_viewer, editor, admin):
        assert _get(client, headers, secret["id"])["data_policy"] == "restricted"
        assert sorted(_codes(client, headers, owner=org)) == sorted(
            [secret["national_code"], public["national_code"]]
        )


def test_a_restricted_station_is_visible_to_its_operator(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    owner = unique_code("OWN")
    operator, operator_viewer = keyed(db, Role.viewer)
    make_org(db, owner)
    secret = register(client, admin, owner=owner, operator=operator, data_policy="restricted")
    assert _get(client, operator_viewer, secret["id"])["operator"] == operator
