"""Key rotation: a new secret shown once, the old key working until the grace period the admin chose."""

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api import cli
from domain.access.models import Role
from domain.access.service import create_key
from tests.api import test_access_keys
from tests.factories import make_key
from tests.factories_registry import API, STATIONS, assert_problem, keyed

SHARE = "/share/v1/stations"
KEY_RE = test_access_keys.KEY_RE
cli_org = test_access_keys.cli_org  # the organization the CLI tests commit (and remove)


@pytest.fixture
def admin(db: Session) -> dict[str, str]:
    return make_key(db, "NCHMF", Role.admin)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _rotate(client: TestClient, admin: dict[str, str], key_id: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"{API}/keys/{key_id}/rotate", json=body, headers=admin)
    assert response.status_code == 201, response.text
    rotated: dict[str, Any] = response.json()
    return rotated


def _new_key(client: TestClient, admin: dict[str, str], org: str, role: str) -> dict[str, Any]:
    created: dict[str, Any] = client.post(
        f"{API}/organizations/{org}/keys", json={"role": role, "label": "partner system"}, headers=admin
    ).json()
    return created


def test_both_keys_work_during_the_grace_and_the_old_fails_after_it(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    org, _ = keyed(db, Role.viewer)
    old = _new_key(client, admin, org, "viewer")
    assert client.get(STATIONS, headers=_bearer(old["key"])).status_code == 200  # now in the key cache
    rotated = _rotate(client, admin, old["id"], grace_period_s=2)
    assert KEY_RE.match(rotated["key"]) and rotated["key"] != old["key"]
    assert (rotated["organization"], rotated["role"], rotated["label"]) == (org, "viewer", "partner system")
    assert rotated["replaces"]["id"] == old["id"] and rotated["replaces"]["replaced_by"] == rotated["id"]
    ends = datetime.fromisoformat(rotated["replaces"]["expires_at"])
    assert timedelta(seconds=1) < ends - datetime.now(UTC) <= timedelta(seconds=2)
    for secret in (old["key"], rotated["key"]):
        assert client.get(STATIONS, headers=_bearer(secret)).status_code == 200
    time.sleep(max(0.0, (ends - datetime.now(UTC)).total_seconds()) + 0.05)
    assert_problem(client.get(STATIONS, headers=_bearer(old["key"])), 401, "unauthenticated", "expired")
    assert client.get(STATIONS, headers=_bearer(rotated["key"])).status_code == 200


def test_a_partner_switches_keys_without_downtime(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    org, _ = keyed(db, Role.partner)
    client.put(f"/share/v1/agreements/{org}", json={}, headers=admin)
    old = _new_key(client, admin, org, "partner")
    rotated = _rotate(client, admin, old["id"], grace_period_s=3600)
    for secret in (old["key"], rotated["key"]):
        assert client.get(SHARE, headers=_bearer(secret)).status_code == 200


def test_revoking_the_old_key_during_its_grace_stops_it_at_once(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    org, _ = keyed(db, Role.viewer)
    old = _new_key(client, admin, org, "viewer")
    rotated = _rotate(client, admin, old["id"], grace_period_s=3600)
    assert client.get(STATIONS, headers=_bearer(old["key"])).status_code == 200
    assert client.delete(f"{API}/keys/{old['id']}", headers=admin).status_code == 200
    assert_problem(client.get(STATIONS, headers=_bearer(old["key"])), 401, "unauthenticated")
    assert client.get(STATIONS, headers=_bearer(rotated["key"])).status_code == 200


def test_a_zero_grace_stops_the_old_key_at_once_even_when_cached(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    org, _ = keyed(db, Role.viewer)
    old = _new_key(client, admin, org, "viewer")
    assert client.get(STATIONS, headers=_bearer(old["key"])).status_code == 200
    rotated = _rotate(client, admin, old["id"], grace_period_s=0)
    assert_problem(client.get(STATIONS, headers=_bearer(old["key"])), 401, "unauthenticated")
    assert client.get(STATIONS, headers=_bearer(rotated["key"])).status_code == 200


def test_the_grace_never_outlives_the_old_keys_own_expiry(
    db: Session, client: TestClient, admin: dict[str, str]
) -> None:
    org, _ = keyed(db, Role.viewer)
    soon = datetime.now(UTC) + timedelta(minutes=5)
    key, _ = create_key(db, organization=org, role=Role.viewer, expires_at=soon)
    rotated = _rotate(client, admin, str(key.id), grace_period_s=86400)
    assert datetime.fromisoformat(rotated["replaces"]["expires_at"]) == soon
    assert datetime.fromisoformat(rotated["expires_at"]) == soon


@pytest.mark.parametrize("grace", [-1, 30 * 86400 + 1, "a day"])
def test_the_grace_period_is_bounded(
    client: TestClient, db: Session, admin: dict[str, str], grace: object
) -> None:
    org, _ = keyed(db, Role.viewer)
    old = _new_key(client, admin, org, "viewer")
    response = client.post(f"{API}/keys/{old['id']}/rotate", json={"grace_period_s": grace}, headers=admin)
    assert_problem(response, 422, "invalid-body", "grace_period_s")
    assert client.get(STATIONS, headers=_bearer(old["key"])).status_code == 200


def test_a_rotated_revoked_or_unknown_key_cannot_be_rotated(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    org, _ = keyed(db, Role.viewer)
    old = _new_key(client, admin, org, "viewer")
    _rotate(client, admin, old["id"], grace_period_s=60)
    again = client.post(f"{API}/keys/{old['id']}/rotate", json={}, headers=admin)
    assert_problem(again, 409, "api-key-not-rotatable", "already rotated")
    revoked = _new_key(client, admin, org, "viewer")
    client.delete(f"{API}/keys/{revoked['id']}", headers=admin)
    assert_problem(client.post(f"{API}/keys/{revoked['id']}/rotate", json={}, headers=admin), 409,
                   "api-key-not-rotatable", "revoked")  # fmt: skip
    unknown = client.post(f"{API}/keys/00000000-0000-0000-0000-000000000000/rotate", json={}, headers=admin)
    assert_problem(unknown, 404, "api-key-not-found")


def test_only_admins_rotate_keys(client: TestClient, db: Session, admin: dict[str, str]) -> None:
    org, editor = keyed(db, Role.editor)
    own = _new_key(client, admin, org, "editor")
    refused = client.post(f"{API}/keys/{own['id']}/rotate", json={}, headers=editor)
    assert_problem(refused, 403, "access-denied")
    assert client.get(STATIONS, headers=_bearer(own["key"])).status_code == 200


def test_cli_rotates_a_key_printing_the_new_secret_once(
    cli_org: str,
    client: TestClient,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["keys", "create", "--org", cli_org, "--role", "viewer"]) == 0
    out = capsys.readouterr().out
    old_secret = out.strip().splitlines()[-1].strip()
    key_id = re.search(r"key ([0-9a-f-]{36})", out).group(1)  # type: ignore[union-attr]
    assert cli.main(["keys", "rotate", "--id", key_id, "--grace", "0.5"]) == 0
    out = capsys.readouterr().out
    new_secret = out.strip().splitlines()[-1].strip()
    assert KEY_RE.match(new_secret) and new_secret != old_secret and "shown once" in out
    for secret in (old_secret, new_secret):
        assert client.get(STATIONS, headers=_bearer(secret)).status_code == 200
    assert cli.main(["keys", "rotate", "--id", key_id]) == 2
    assert "already rotated" in capsys.readouterr().err
    assert cli.main(["keys", "rotate", "--id", key_id, "--grace", "721"]) == 2
    with pytest.raises(SystemExit):
        cli.main(["keys", "rotate", "--id", "not-a-uuid"])
