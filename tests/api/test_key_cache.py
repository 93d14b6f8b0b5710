"""The in-process API key cache: expiry checked on every request, bounded size, TTL 0 disables it."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from domain.access.cache import CachedKey, KeyCache
from domain.access.models import Principal, Role
from domain.access.rules import hash_key
from domain.access.service import authenticate, create_key
from domain.errors import Unauthenticated
from tests.factories import make_org
from tests.factories_registry import STATIONS, assert_problem, unique_code


def _entry(expires_at: datetime | None = None) -> CachedKey:
    principal = Principal(organization="MOC", role=Role.viewer, key_id=uuid.uuid4())
    return CachedKey(principal=principal, expires_at=expires_at, revoked_at=None)


def test_a_cached_key_that_has_since_expired_is_refused(client: TestClient, db: Session) -> None:
    org = unique_code("KC")
    make_org(db, org)
    _, secret = create_key(db, organization=org, role=Role.viewer)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(STATIONS, headers=headers).status_code == 200
    cache: KeyCache = client.app.state.key_cache  # type: ignore[attr-defined]
    cached = cache.get(hash_key(secret))
    assert cached is not None and cached.principal.organization == org
    past = datetime.now(UTC) - timedelta(seconds=1)
    cache.put(hash_key(secret), CachedKey(cached.principal, expires_at=past, revoked_at=None))
    assert_problem(client.get(STATIONS, headers=headers), 401, "unauthenticated", "expired")


def test_authenticate_checks_expiry_of_a_cached_entry_against_the_current_time(db: Session) -> None:
    cache = KeyCache(ttl_s=60)
    cache.put(hash_key("hm_secret"), _entry(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with pytest.raises(Unauthenticated):
        authenticate(db, secret="hm_secret", cache=cache)


def test_the_cache_keeps_at_most_its_size_and_forgets_a_revoked_key() -> None:
    cache = KeyCache(ttl_s=60, max_size=2)
    entries = {f"h{i}": _entry() for i in range(3)}
    for key_hash, entry in entries.items():
        cache.put(key_hash, entry)
    assert cache.get("h0") is None and cache.get("h2") == entries["h2"]
    cache.forget(entries["h2"].principal.key_id)  # type: ignore[arg-type]
    assert cache.get("h2") is None and cache.get("h1") == entries["h1"]


def test_a_ttl_of_zero_disables_the_cache() -> None:
    cache = KeyCache(ttl_s=0)
    cache.put("h", _entry())
    assert cache.get("h") is None
