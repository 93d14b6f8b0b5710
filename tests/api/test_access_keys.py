"""API keys: random, shown once, stored hashed, expiring and revocable; what answers without a key."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, text
from sqlmodel import Session, col, select

from api import cli
from domain.access.models import ApiKey, Organization, OrganizationCreate, OrganizationKind, Role
from domain.access.rules import hash_key
from domain.access.service import create_key, ensure_organization
from domain.settings import get_settings
from tests.factories import make_key, make_org
from tests.factories_registry import API, STATIONS, assert_problem, keyed, unique_code

KEY_RE = re.compile(r"^hm_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$")


def test_created_keys_are_random_and_only_their_hash_is_stored(db: Session) -> None:
    org = unique_code("KEY")
    make_org(db, org)
    secrets = [create_key(db, organization=org, role=Role.viewer)[1] for _ in range(3)]
    assert len(set(secrets)) == 3
    assert all(KEY_RE.match(s) for s in secrets)
    rows = db.exec(select(ApiKey).where(col(ApiKey.organization) == org)).all()
    assert sorted(r.key_hash for r in rows) == sorted(hash_key(s) for s in secrets)
    dump = db.execute(
        text("SELECT row_to_json(k)::text FROM api_key k WHERE organization = :o"), {"o": org}
    ).scalars()
    for row_text in dump:
        assert not any(s in row_text for s in secrets)
        assert not any(s.split("_", 2)[2] in row_text for s in secrets)  # the random part (may hold "_")


def test_admin_creates_a_key_over_http_shown_once_and_it_works(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    org = unique_code("EDT")
    make_org(db, org)
    response = client.post(f"{API}/organizations/{org}/keys", json={"role": "editor"}, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert KEY_RE.match(created["key"])
    assert created["prefix"] == created["key"].split("_")[1]
    assert (created["organization"], created["role"], created["revoked_at"]) == (org, "editor", None)
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert client.get(STATIONS, headers=headers).status_code == 200
    assert client.get(STATIONS, headers={"X-API-Key": created["key"]}).status_code == 200
    stored = db.get(ApiKey, created["id"])
    assert stored is not None and stored.key_hash == hash_key(created["key"])
    assert "key" not in client.get(f"{API}/organizations/{org}", headers=admin).json()


def test_only_admins_create_or_revoke_keys(client: TestClient, db: Session) -> None:
    org, editor = keyed(db, Role.editor)
    response = client.post(f"{API}/organizations/{org}/keys", json={"role": "admin"}, headers=editor)
    assert_problem(response, 403, "access-denied", "admin")
    key, _ = create_key(db, organization=org, role=Role.viewer)
    response = client.delete(f"{API}/keys/{key.id}", headers=editor)
    assert_problem(response, 403, "access-denied")
    assert db.get(ApiKey, key.id).revoked_at is None  # type: ignore[union-attr]


def test_revoking_an_unknown_key_is_a_404(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    response = client.delete(f"{API}/keys/00000000-0000-0000-0000-000000000000", headers=admin)
    assert_problem(response, 404, "api-key-not-found")


def test_key_creation_refuses_an_unknown_role_or_organization(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    response = client.post(f"{API}/organizations/NCHMF/keys", json={"role": "root"}, headers=admin)
    assert_problem(response, 422, "invalid-body", "#/role")
    response = client.post(f"{API}/organizations/NOPE-X/keys", json={"role": "viewer"}, headers=admin)
    assert_problem(response, 404, "organization-not-found", "NOPE-X")


def test_an_expired_key_is_refused_with_401(client: TestClient, db: Session) -> None:
    past = make_key(db, unique_code("EXP"), Role.viewer, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    future = make_key(db, unique_code("EXP"), Role.viewer, expires_at=datetime.now(UTC) + timedelta(days=1))
    assert_problem(client.get(STATIONS, headers=past), 401, "unauthenticated", "expired")
    assert client.get(STATIONS, headers=future).status_code == 200


def test_a_revoked_key_is_refused_with_401(client: TestClient, db: Session) -> None:
    admin = make_key(db, "NCHMF", Role.admin)
    org = unique_code("REV")
    make_org(db, org)
    key, secret = create_key(db, organization=org, role=Role.editor)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(STATIONS, headers=headers).status_code == 200
    revoked = client.delete(f"{API}/keys/{key.id}", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert "key" not in revoked.json()
    response = client.get(STATIONS, headers=headers)
    assert_problem(response, 401, "unauthenticated", "revoked")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer hm_00000000_not-a-real-key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"X-API-Key": "guess"},
    ],
    ids=["unknown key", "wrong scheme", "empty bearer", "unknown x-api-key"],
)
def test_a_bad_credential_is_refused_with_401(client: TestClient, headers: dict[str, str]) -> None:
    assert_problem(client.get(STATIONS, headers=headers), 401, "unauthenticated")


def test_without_a_key_health_docs_and_openapi_answer(client: TestClient) -> None:
    assert client.get("/health").json() == {
        "status": "ok",
        "database": "ok",
        "databases": [{"name": "primary", "role": "primary", "status": "ok"}],
    }
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and f"{API}/stations" in spec.json()["paths"]


# Answer without a key: liveness, metrics, the docs, and (by later design) the public OGC API and map,
# which show only non-restricted stations. Everything else needs a key.
PUBLIC_PREFIXES = ("/health", "/metrics", "/docs", "/redoc", "/openapi.json", "/ogc", "/map")


def _keyed_calls(app: FastAPI) -> Iterator[tuple[str, str]]:
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith(PUBLIC_PREFIXES):
            continue
        concrete = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
        for method in sorted(set(getattr(route, "methods", None) or {"GET"}) - {"HEAD", "OPTIONS"}):
            yield method, concrete


def test_without_a_key_every_other_route_answers_401(app: FastAPI, client: TestClient) -> None:
    calls = list(_keyed_calls(app))
    assert ("GET", STATIONS) in calls and ("POST", f"{API}/organizations") in calls
    assert ("GET", "/share/v1/stations") in calls
    for method, path in calls:
        response = client.request(method, path, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith("/unauthenticated")


@pytest.fixture
def cli_org(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An organization committed for real (the CLI commits), removed with its keys afterwards."""
    monkeypatch.setenv("HYDROMET_DATABASE_URL", database_url)
    get_settings.cache_clear()
    code = unique_code("CLI")
    data = OrganizationCreate(code=code, name="CLI test", kind=OrganizationKind.ministry)
    with Session(engine) as session:
        ensure_organization(session, data=data)
        session.commit()
    yield code
    get_settings.cache_clear()
    with Session(engine) as session:
        session.execute(delete(ApiKey).where(col(ApiKey.organization) == code))
        session.execute(delete(Organization).where(col(Organization.code) == code))
        session.commit()


def test_cli_creates_a_working_key_and_revokes_it_by_prefix(
    cli_org: str, client: TestClient, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["keys", "create", "--org", cli_org, "--role", "editor", "--label", "test"]) == 0
    out = capsys.readouterr().out
    secret = out.strip().splitlines()[-1].strip()
    assert KEY_RE.match(secret), out
    assert "shown once" in out
    headers = {"Authorization": f"Bearer {secret}"}
    body = client.get(STATIONS, headers=headers)
    assert body.status_code == 200, body.text
    prefix = secret.split("_")[1]
    assert cli.main(["keys", "revoke", "--prefix", prefix]) == 0
    assert "revoked" in capsys.readouterr().out
    # the CLI is another process: the server sees it once its cached entry ages out (HYDROMET_KEY_CACHE_TTL_S)
    monkeypatch.setattr(client.app.state.key_cache, "ttl_s", 0)  # type: ignore[attr-defined]
    assert_problem(client.get(STATIONS, headers=headers), 401, "unauthenticated")


def test_cli_refuses_an_unknown_organization_or_role(
    cli_org: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["keys", "create", "--org", cli_org + "-NONE", "--role", "viewer"]) == 2
    assert "no organization" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["keys", "create", "--org", cli_org, "--role", "root"])
    assert cli.main(["keys", "revoke", "--prefix", "ffffffff"]) == 2
    assert "no such API key" in capsys.readouterr().err


def test_cli_key_with_a_past_expiry_is_refused(
    cli_org: str, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["keys", "create", "--org", cli_org, "--role", "viewer", "--expires", "2000-01-01T00:00:00+00:00"]
    assert cli.main(argv) == 0
    secret = capsys.readouterr().out.strip().splitlines()[-1].strip()
    response = client.get(STATIONS, headers={"Authorization": f"Bearer {secret}"})
    assert_problem(response, 401, "unauthenticated", "expired")
