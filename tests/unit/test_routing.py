"""Read routing rules without a database: WAL positions, lag from samples, replica choice, the key cache."""

import uuid

import pytest
from sqlalchemy import create_engine

from domain.access.cache import FALLBACK_TTL_S, CachedKey, KeyCache
from domain.access.models import Principal, Role
from domain.db.routing import (
    Database,
    DatabaseRouter,
    InvalidLsn,
    LsnHistory,
    describe,
    format_lsn,
    parse_lsn,
    replica_status,
)

ENGINE = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")  # never connected


def database(name: str, *, primary: bool = False, lsn: int | None = 100, lag: float | None = 0.0) -> Database:
    db = Database(name=name, url="", engine=ENGINE, read_engine=ENGINE, primary=primary)
    if not primary:
        db.in_recovery, db.replay_lsn, db.lag_s = True, lsn, lag
    return db


def test_a_wal_position_reads_and_writes_as_postgresql_prints_it() -> None:
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert format_lsn(parse_lsn("0/3000148")) == "0/3000148"


@pytest.mark.parametrize("text", ["", "0", "yesterday", "G/1", "/1", "1/", "123456789/1"])
def test_a_text_that_is_not_a_wal_position_is_refused(text: str) -> None:
    with pytest.raises(InvalidLsn):
        parse_lsn(text)


def test_lag_is_the_age_of_the_first_primary_position_the_replica_lacks() -> None:
    history = LsnHistory()
    for at, lsn in [(10.0, 100), (11.0, 200), (12.0, 300)]:
        history.add(at, lsn)
    assert history.lag_of(300, now=12.5) == 0.0  # has everything the primary had written
    assert history.lag_of(250, now=12.5) == pytest.approx(0.5)  # lacks what was written by 12.0
    assert history.lag_of(150, now=12.5) == pytest.approx(1.5)
    assert history.lag_of(50, now=12.5) == pytest.approx(2.5)  # older than every sample
    assert LsnHistory().lag_of(50, now=1.0) is None


def test_health_never_shows_a_lagging_replica_at_or_under_the_maximum() -> None:
    replica = database("replica-1", lag=2.0000004)
    router = DatabaseRouter(primary=database("primary", primary=True), replicas=[replica], max_lag_s=2)
    shown = describe(router, primary_ok=True)[1]
    assert shown["status"] == "lagging"
    assert shown["lag_s"] == 2.001  # rounded to the millisecond above, never down to the maximum


def test_reads_take_healthy_replicas_in_turn_and_the_primary_when_none_is() -> None:
    primary, r1, r2 = database("primary", primary=True), database("replica-1"), database("replica-2")
    router = DatabaseRouter(primary=primary, replicas=[r1, r2], max_lag_s=5)
    assert [router.choose_read().name for _ in range(4)] == ["replica-1", "replica-2"] * 2
    r2.lag_s = 6.0
    assert {router.choose_read().name for _ in range(3)} == {"replica-1"}
    assert replica_status(router, r2) == "lagging"
    router.mark_unreachable(r1, "OperationalError")
    assert router.choose_read().name == "primary"
    assert replica_status(router, r1) == "unreachable"
    assert router.choose_write().name == "primary"


def test_a_read_with_a_token_goes_only_to_a_replica_at_or_past_it() -> None:
    primary, behind, ahead = (
        database("primary", primary=True),
        database("r1", lsn=100),
        database("r2", lsn=500),
    )
    router = DatabaseRouter(primary=primary, replicas=[behind, ahead], max_lag_s=5)
    assert {router.choose_read(token=400).name for _ in range(4)} == {"r2"}
    assert router.choose_read(token=501).name == "primary"


def test_a_promoted_copy_is_never_read_as_a_replica() -> None:
    primary, promoted = database("primary", primary=True), database("replica-1")
    promoted.in_recovery = False
    router = DatabaseRouter(primary=primary, replicas=[promoted], max_lag_s=5)
    assert router.choose_read().name == "primary"
    assert replica_status(router, promoted) == "not_standby"


def entry() -> CachedKey:
    principal = Principal(organization="MOC", role=Role.viewer, key_id=uuid.uuid4())
    return CachedKey(principal=principal, expires_at=None, revoked_at=None)


def test_a_lookup_that_raced_a_revocation_is_not_cached() -> None:
    cache = KeyCache(ttl_s=30)
    cache.listening = True
    generation = cache.generation  # read before the lookup
    cache.forget(uuid.uuid4())  # a revocation notice arrives meanwhile
    cache.put("hash", entry(), generation)
    assert cache.get("hash") is None
    cache.put("hash", entry(), cache.generation)
    assert cache.get("hash") is not None


def test_the_key_cache_trusts_entries_one_second_at_most_while_deaf_to_revocations() -> None:
    cache = KeyCache(ttl_s=30)
    assert cache.effective_ttl_s() == FALLBACK_TTL_S == 1.0
    cache.listening = True
    assert cache.effective_ttl_s() == 30
    cache.put("hash", entry())
    cache.clear()
    assert cache.get("hash") is None
