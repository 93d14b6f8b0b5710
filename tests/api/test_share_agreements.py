"""Sharing agreements (admins manage them), per-partner daily usage, and per-key rate limits."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.deps import get_primary_session, get_read_session, get_session
from api.main import create_app
from domain.access.models import Role
from domain.settings import Settings
from tests.factories import make_key, make_org
from tests.factories_sharing import make_partner


def test_admin_creates_reads_replaces_and_ends_an_agreement(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    partner = make_partner(db, "PARTNER")
    body = {"networks": ["national"], "provinces": ["VN-HN", "VN-DN"], "data_policies": ["core"]}
    created = client.put("/share/v1/agreements/PARTNER", json=body, headers=admin)
    assert created.status_code == 200, created.text
    assert created.json() | {"created_at": None, "updated_at": None} == {
        "organization": "PARTNER", "networks": ["national"], "station_types": None,
        "provinces": ["VN-HN", "VN-DN"], "data_policies": ["core"], "note": None,
        "created_at": None, "updated_at": None,
    }  # fmt: skip
    replaced = client.put("/share/v1/agreements/PARTNER", json={"note": "MOU 2026"}, headers=admin)
    assert replaced.json()["networks"] is None and replaced.json()["data_policies"] == ["core", "recommended"]
    assert [g["organization"] for g in client.get("/share/v1/agreements", headers=admin).json()] == [
        "PARTNER"
    ]
    own = client.get("/share/v1/agreements/PARTNER", headers=partner)
    assert own.status_code == 200 and own.json()["note"] == "MOU 2026"
    assert client.delete("/share/v1/agreements/PARTNER", headers=admin).status_code == 204
    gone = client.get("/share/v1/agreements/PARTNER", headers=admin)
    assert gone.status_code == 404 and gone.json()["type"].endswith("/sharing-agreement-not-found")
    assert client.get("/share/v1/stations", headers=partner).json()["type"].endswith("/no-sharing-agreement")


def test_an_agreement_can_never_share_restricted_stations(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    make_org(db, "PARTNER")
    r = client.put(
        "/share/v1/agreements/PARTNER", json={"data_policies": ["core", "restricted"]}, headers=admin
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["pointer"] == "#/data_policies" and "never shared" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        ({"provinces": ["VN-XX"]}, 422, "#/provinces"),
        ({"networks": ["military"]}, 422, "#/networks/0"),
        ({"station_types": []}, 422, "#/station_types"),
        ({"colour": "red"}, 422, "#/colour"),
    ],
)
def test_bad_agreements_are_refused_naming_the_field(
    client: TestClient, db: Session, body: dict, status: int, pointer: str
) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    make_org(db, "PARTNER")
    r = client.put("/share/v1/agreements/PARTNER", json=body, headers=admin)
    assert r.status_code == status, r.text
    problem = r.json()
    pointers = [problem.get("pointer")] + [e["pointer"] for e in problem.get("errors", [])]
    assert pointer in pointers


def test_only_admins_manage_agreements(client: TestClient, db: Session) -> None:
    partner = make_partner(db, "PARTNER", {})
    editor = make_key(db, "MOC", Role.editor)
    for headers in (partner, editor):
        r = client.put("/share/v1/agreements/PARTNER", json={}, headers=headers)
        assert r.status_code == 403 and r.json()["type"].endswith("/access-denied")
    make_partner(db, "OTHER", {})
    assert client.get("/share/v1/agreements/OTHER", headers=partner).status_code == 403
    assert client.get("/share/v1/agreements", headers=partner).status_code == 403
    missing = client.put("/share/v1/agreements/NOBODY", json={}, headers=make_key(db, "NCHMF", Role.admin))
    assert missing.status_code == 404 and missing.json()["type"].endswith("/organization-not-found")


def test_each_partner_request_is_counted_per_day(client: TestClient, db: Session) -> None:
    partner = make_partner(db, "PARTNER", {})
    for _ in range(3):
        client.get("/share/v1/changes", headers=partner)
    client.get("/ogc/collections/stations/items", headers=partner)
    mine = client.get("/share/v1/usage", headers=partner).json()
    assert [(u["organization"], u["requests"]) for u in mine] == [("PARTNER", 5)]
    admin = make_key(db, "NCHMF", Role.admin)
    seen = client.get("/share/v1/usage", params={"organization": "PARTNER"}, headers=admin).json()
    assert seen[0]["requests"] == 5  # the admin's own request is not a partner's
    nosy = client.get("/share/v1/usage", params={"organization": "NCHMF"}, headers=partner)
    assert nosy.status_code == 403


@pytest.fixture
def tight_client(settings: Settings, db: Session) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": 3}))
    app.dependency_overrides[get_session] = lambda: db
    app.dependency_overrides[get_read_session] = lambda: db
    app.dependency_overrides[get_primary_session] = lambda: db
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(tight_client: TestClient, db: Session) -> None:
    partner = make_partner(db, "PARTNER", {})
    other = make_partner(db, "OTHER", {})
    statuses = [tight_client.get("/share/v1/changes", headers=partner).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    r = tight_client.get("/share/v1/changes", headers=partner)
    assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/too-many-requests")
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert tight_client.get("/share/v1/changes", headers=other).status_code == 200


def test_anonymous_ogc_readers_are_limited_by_address(tight_client: TestClient) -> None:
    statuses = [tight_client.get("/ogc/collections").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
