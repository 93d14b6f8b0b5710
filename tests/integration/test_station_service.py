"""Station service on a real PostGIS: revisions, and no lost update or duplicate under concurrent writers."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, delete, text
from sqlmodel import Session, col, select

from domain.access.models import SYSTEM, Organization, OrganizationCreate, OrganizationKind, Principal, Role
from domain.access.service import ensure_organization
from domain.db.spatial import from_geojson
from domain.errors import PreconditionFailed
from domain.station.models import Station, StationCreate, StationRevision, StationUpdate
from domain.station.rules import search_text
from domain.station.service import (
    DuplicateStationCode,
    DuplicateWigosId,
    record_station_change,
    register_station,
    snapshot,
    update_station,
)
from tests.factories import make_station, station_body
from tests.factories_registry import unique_code


def test_registering_records_revision_one_with_the_full_state(db: Session) -> None:
    station = make_station(db, name="Trạm Láng", wigos_ids=["0-704-1-SVC01"])
    [revision] = db.exec(select(StationRevision).where(col(StationRevision.station_id) == station.id)).all()
    assert (revision.revision, revision.op, revision.actor, revision.reason) == (
        1,
        "create",
        "system",
        "registered",
    )
    assert revision.state == json.loads(json.dumps(snapshot(station)))
    assert revision.state["location"] == {"type": "Point", "coordinates": [105.85, 21.03]}
    assert revision.changes["name"] == [None, "Trạm Láng"]
    assert "revision" not in revision.changes and "updated_at" not in revision.changes


def test_a_change_made_through_another_area_is_a_new_revision(db: Session) -> None:
    station = make_station(db)
    changed = record_station_change(
        db, principal=SYSTEM, station_id=station.id, op="equipment", reason="logger installed",
        extra_state={"equipment": ["AWS-1"]}, extra_before={"equipment": []}, fields={"automation": "manual"},
    )  # fmt: skip
    db.commit()
    assert changed.revision == 2
    latest = db.exec(
        select(StationRevision).where(
            col(StationRevision.station_id) == station.id, col(StationRevision.revision) == 2
        )
    ).one()
    assert latest.changes == {"automation": ["automatic", "manual"], "equipment": [[], ["AWS-1"]]}
    assert latest.state["equipment"] == ["AWS-1"]


@pytest.fixture
def committed_org(engine: Engine) -> Iterator[str]:
    """An organization committed for real (concurrent sessions need it); its stations are removed after."""
    code = unique_code("CONC")
    with Session(engine) as session:
        ensure_organization(
            session,
            data=OrganizationCreate(
                code=code, name=code, kind=OrganizationKind.ministry, review_required=False
            ),
        )
        session.commit()
    yield code
    with Session(engine) as session:
        session.execute(delete(Station).where(col(Station.owner) == code))
        session.execute(delete(Organization).where(col(Organization.code) == code))
        session.commit()


def _editor(org: str) -> Principal:
    return Principal(organization=org, role=Role.editor, key_id=uuid.uuid4())


def _in_threads(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at once in threads; return each one's result or exception."""
    results: list[Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # collected for the test to inspect
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_concurrent_patches_of_one_revision_let_exactly_one_win(
    engine: Engine, committed_org: str
) -> None:
    editor = _editor(committed_org)
    with Session(engine) as session:
        data = StationCreate.model_validate(station_body(owner=committed_org))
        station_id = register_station(session, principal=editor, data=data).id

    def rename(name: str) -> Callable[[], Station]:
        def call() -> Station:
            with Session(engine, expire_on_commit=False) as session:
                return update_station(
                    session,
                    principal=editor,
                    station_id=station_id,
                    data=StationUpdate(name=name),
                    if_match=1,
                )

        return call

    results = _in_threads(rename("Trạm A"), rename("Trạm B"))
    winners = [r for r in results if isinstance(r, Station)]
    losers = [r for r in results if isinstance(r, PreconditionFailed)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].extra["current_revision"] == 2
    with Session(engine) as session:
        stored = session.get(Station, station_id)
        assert stored is not None and (stored.name, stored.revision) == (winners[0].name, 2)
        revisions = session.exec(
            select(StationRevision.revision).where(col(StationRevision.station_id) == station_id)
        ).all()
        assert sorted(revisions) == [1, 2]


def _hold_uncommitted(engine: Engine, org: str, code: str, wsi: str | None) -> Session:
    """Insert a station (and optionally a WSI) without committing, holding their unique keys."""
    session = Session(engine)
    station = Station(
        national_code=code, name="holder", search_text=search_text("holder", code), network="national",
        station_types=["synoptic"], automation="manual", status="operational", owner=org, data_policy="core",
        location=from_geojson({"type": "Point", "coordinates": [105.85, 21.03]}), wigos_ids=[], variables=[],
    )  # fmt: skip
    session.add(station)
    session.flush()
    if wsi:
        session.execute(
            text("INSERT INTO station_wigos_id (wsi, station_id, is_primary) VALUES (:w, :s, true)"),
            {"w": wsi, "s": station.id},
        )
    return session


def _wait_for_lock_waiter(engine: Engine, outcome: list[Any], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            conn.rollback()  # pg_stat_activity is a snapshot per transaction: take a fresh one each time
            if waiting:
                return
            time.sleep(0.05)
    raise AssertionError(f"the second writer never waited on the first one's unique key: {outcome}")


@pytest.mark.parametrize("clash", ["code", "wsi"])
def test_a_concurrent_duplicate_is_a_conflict_not_a_server_error(
    engine: Engine, committed_org: str, clash: str
) -> None:
    code, wsi = f"RACE-{uuid.uuid4().hex[:8]}", f"0-704-1-R{uuid.uuid4().hex[:8]}"
    holder = _hold_uncommitted(engine, committed_org, code, wsi)
    body = station_body(owner=committed_org, wigos_ids=[wsi])
    if clash == "code":
        body |= {"national_code": code, "wigos_ids": []}
    outcome: list[Any] = []

    def register() -> None:
        with Session(engine) as session:
            try:
                register_station(
                    session, principal=_editor(committed_org), data=StationCreate.model_validate(body)
                )
                outcome.append("registered")
            except Exception as exc:  # collected for the test to inspect
                outcome.append(exc)

    thread = threading.Thread(target=register)
    thread.start()
    try:
        _wait_for_lock_waiter(engine, outcome)
        holder.commit()
    finally:
        thread.join(30)
        holder.close()
    expected = DuplicateStationCode if clash == "code" else DuplicateWigosId
    assert len(outcome) == 1 and isinstance(outcome[0], expected), outcome
    with Session(engine) as session:
        count = session.execute(
            text("SELECT count(*) FROM station WHERE owner = :o"), {"o": committed_org}
        ).scalar_one()
        assert count == 1
