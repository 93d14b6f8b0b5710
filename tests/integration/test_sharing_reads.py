"""The OGC and partner reads' maintained tally and the guard's one statement (rate hit and usage count)."""

from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session

from domain.sharing import queries
from tests.factories import make_station
from tests.factories_sharing import make_partner

SHARED = "SELECT count(*) FROM station WHERE data_policy <> 'restricted' AND status <> 'closed'"
TALLY = "SELECT coalesce(sum(delta), 0) FROM shared_station_tally"


def numbers(db: Session) -> tuple[int, int]:
    return int(db.execute(text(SHARED)).scalar_one()), int(db.execute(text(TALLY)).scalar_one())


def test_the_public_tally_follows_registrations_closures_and_policy_changes(db: Session) -> None:
    before, tally = numbers(db)
    assert tally == before
    public = make_station(db)
    make_station(db, data_policy="restricted")
    assert numbers(db) == (before + 1, before + 1)
    db.execute(text("UPDATE station SET status = 'closed' WHERE id = :id"), {"id": public.id})
    assert numbers(db) == (before, before)
    db.execute(text("UPDATE station SET data_policy = 'core' WHERE data_policy = 'restricted'"))
    assert numbers(db)[1] == numbers(db)[0] > before
    queries.compact_tally(db)
    assert int(db.execute(text("SELECT count(*) FROM shared_station_tally")).scalar_one()) == 1
    assert numbers(db)[1] == numbers(db)[0]


def test_the_guard_counts_usage_only_for_admitted_partner_requests(db: Session) -> None:
    make_partner(db, "PARTNER", {})
    day = datetime.now(UTC).date()
    hits = [
        queries.admit(db, identity="key:guard-test", limit=2, organization="PARTNER", day=day)[0]
        for _ in range(3)
    ]
    queries.admit(db, identity="addr:guard-test", limit=2, organization=None, day=day)
    assert hits == [1, 2, None]
    usage = db.execute(text("SELECT organization, requests FROM share_usage")).all()
    assert [tuple(u) for u in usage] == [("PARTNER", 2)]
