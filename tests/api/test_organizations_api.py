"""Organizations: admins register them; staff read them; bad input is a problem naming the field."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.models import Organization, Role
from tests.factories import make_key
from tests.factories_registry import API, assert_problem, keyed, unique_code

ORGS = f"{API}/organizations"


def _body(org: str, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {"code": org, "name": "Công ty Thủy điện Sơn La", "kind": "enterprise"}
    body.update(overrides)
    return body


def test_admin_registers_an_organization_and_staff_read_it(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    code = unique_code("ENT")
    created = client.post(ORGS, json=_body(code), headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["code"], body["name"], body["kind"], body["province"]) == (
        code,
        "Công ty Thủy điện Sơn La",
        "enterprise",
        None,
    )
    assert body["created_at"]
    _, viewer = keyed(db, Role.viewer)
    assert client.get(f"{ORGS}/{code}", headers=viewer).json() == body
    listed = client.get(ORGS, headers=viewer).json()
    assert code in [o["code"] for o in listed]
    assert [o["code"] for o in listed] == sorted(o["code"] for o in listed)


@pytest.mark.parametrize("role", [Role.editor, Role.viewer])
def test_only_an_admin_registers_organizations(client: TestClient, db: Session, role: Role) -> None:
    _, headers = keyed(db, role)
    code = unique_code("NOT")
    assert_problem(client.post(ORGS, json=_body(code), headers=headers), 403, "access-denied", "admin")
    assert db.get(Organization, code) is None


def test_a_partner_cannot_read_the_organization_registry(client: TestClient, db: Session) -> None:
    _, partner = keyed(db, Role.partner)
    assert_problem(client.get(ORGS, headers=partner), 403, "access-denied")


def test_registering_an_existing_code_is_a_409(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    code = unique_code("DUP")
    assert client.post(ORGS, json=_body(code), headers=admin).status_code == 201
    response = client.post(ORGS, json=_body(code, name="Another"), headers=admin)
    body = assert_problem(response, 409, "duplicate-organization", code)
    assert body["code"] == code
    assert db.get(Organization, code).name == "Công ty Thủy điện Sơn La"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"code": "lower-case"}, "#/code"),
        ({"code": "X"}, "#/code"),
        ({"code": "A" * 33}, "#/code"),
        ({"kind": "cooperative"}, "#/kind"),
        ({"name": ""}, "#/name"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "#/created_at"),
    ],
    ids=["lower case code", "short code", "long code", "unknown kind", "empty name", "created_at"],
)
def test_a_bad_organization_body_is_a_422_naming_the_field(
    client: TestClient, db: Session, overrides: dict[str, object], pointer: str
) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    body = _body(unique_code("BAD"), **overrides)
    assert_problem(client.post(ORGS, json=body, headers=admin), 422, "invalid-body", pointer)


def test_an_unknown_organization_is_a_404(client: TestClient, db: Session) -> None:
    _, viewer = keyed(db, Role.viewer)
    assert_problem(
        client.get(f"{ORGS}/NO-SUCH-ORG", headers=viewer), 404, "organization-not-found", "NO-SUCH-ORG"
    )


def test_an_unknown_query_parameter_on_organizations_is_a_400(client: TestClient, db: Session) -> None:
    _, viewer = keyed(db, Role.viewer)
    assert_problem(
        client.get(ORGS, params={"kind": "ministry"}, headers=viewer), 400, "invalid-query", "kind"
    )
