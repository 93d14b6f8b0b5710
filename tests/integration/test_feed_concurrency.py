"""The change feed under concurrent writers: nothing skipped, nothing repeated, the copy equals the truth.

Writers commit for real (in a database of their own), from several threads, holding their revision
seq for a random while before committing, so commits come out of seq order; a reader follows
/share/v1/changes meanwhile. At the end the reader's copy must equal the partner's view, and the
events it got must equal, one for one and in order, what the revision history says it should get.
"""

import random
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, select, text
from sqlmodel import Session

from api.main import create_app
from domain.access.models import SYSTEM, OrganizationCreate, OrganizationKind, Role
from domain.access.service import create_key, ensure_organization
from domain.errors import DomainError
from domain.settings import Settings
from domain.sharing.models import ShareGrantWrite
from domain.sharing.service import grant_partner_access
from domain.station.models import Station, StationClose, StationCreate, StationRevision, StationUpdate
from domain.station.service import close_station, register_station, update_station
from tests.databases import committed_database
from tests.factories import DA_NANG, HANOI, HCMC, station_body

GRANT = {"provinces": ["VN-HN", "VN-DN"], "station_types": ["synoptic", "rain_gauge"]}
POINTS = [HANOI, DA_NANG, HCMC]
TYPES = [["synoptic"], ["hydrological"], ["rain_gauge", "marine"]]
POLICIES = ["core", "recommended", "restricted"]
WRITERS, OPS_PER_WRITER, START_STATIONS = 4, 40, 12


def in_scope(state: dict[str, Any]) -> bool:
    """The agreement, written out again independently of the code under test."""
    return (
        state["data_policy"] in ("core", "recommended")
        and state["status"] != "closed"
        and state["province"] in GRANT["provinces"]
        and bool(set(state["station_types"]) & set(GRANT["station_types"]))
    )


@pytest.fixture(scope="module")
def feed_db() -> Iterator[str]:
    with committed_database("feed") as url:
        yield url


@pytest.fixture(scope="module")
def engine(feed_db: str) -> Iterator[Engine]:
    engine = create_engine(feed_db, pool_size=WRITERS + 2)
    yield engine
    engine.dispose()


def new_station(session: Session, rng: random.Random) -> uuid.UUID:
    body = station_body(
        owner="NCHMF", location={"type": "Point", "coordinates": list(rng.choice(POINTS))},
        station_types=rng.choice(TYPES), data_policy=rng.choice(POLICIES),
    )  # fmt: skip
    return register_station(session, principal=SYSTEM, data=StationCreate.model_validate(body)).id


def change(session: Session, rng: random.Random, station_id: uuid.UUID) -> None:
    # columns, not the entity: the service must load the station itself, under its row lock
    revision, status = session.execute(
        select(Station.revision, Station.status).where(Station.id == station_id)  # type: ignore[arg-type]
    ).one()
    kind = rng.choice(["policy", "move", "types", "elevation", "close"])
    if status == "closed":
        data = StationUpdate(status="operational", reason="reopened")  # type: ignore[arg-type]
    elif kind == "close":
        close_station(session, principal=SYSTEM, station_id=station_id, data=StationClose(reason="test"))
        return
    else:
        data = StationUpdate.model_validate({
            "policy": {"data_policy": rng.choice(POLICIES)},
            "move": {"location": {"type": "Point", "coordinates": list(rng.choice(POINTS))}},
            "types": {"station_types": rng.choice(TYPES)},
            "elevation": {"elevation_m": round(rng.uniform(0, 900), 1)},
        }[kind])  # fmt: skip
    update_station(session, principal=SYSTEM, station_id=station_id, data=data, if_match=revision)


class CommitLog:
    """Records, in commit order, the revision seqs each writer transaction committed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.commits: list[list[int]] = []

    def watch(self, session: Session, rng: random.Random) -> None:
        session.info["seqs"] = []

        @event.listens_for(session, "after_flush")
        def remember(sess: Session, _ctx: Any) -> None:
            sess.info["seqs"] += [o.seq for o in sess.new if isinstance(o, StationRevision)]

        @event.listens_for(session, "before_commit")
        def hold(_sess: Session) -> None:
            time.sleep(rng.uniform(0, 0.012))  # keep the seq drawn but uncommitted for a while

        @event.listens_for(session, "after_commit")
        def done(sess: Session) -> None:
            with self.lock:
                self.commits.append(sorted(set(sess.info["seqs"])))
            sess.info["seqs"] = []


def writer(
    engine: Engine, n: int, pool: list[uuid.UUID], log: CommitLog, errors: list[BaseException]
) -> None:
    rng = random.Random(n)
    try:
        for _ in range(OPS_PER_WRITER):
            with Session(engine, expire_on_commit=False) as session:  # one per use case, as a request has
                log.watch(session, rng)
                try:
                    if rng.random() < 0.15:
                        pool.append(new_station(session, rng))
                    else:
                        change(session, rng, rng.choice(pool))
                except DomainError:
                    session.rollback()  # lost a race on If-Match or closing: fine, try something else
    except BaseException as exc:  # surfaced by the test
        errors.append(exc)


def read_page(client: TestClient, headers: dict[str, str], state: dict[str, Any]) -> int:
    """Read one page, apply it to the copy, and return how many events it held."""
    params = {"limit": 7} | ({"after": state["cursor"]} if state["cursor"] else {})
    r = client.get("/share/v1/changes", params=params, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    for e in body["items"]:
        state["events"].append(e)
        if e["op"] == "upsert":
            state["copy"][e["station_id"]] = e["station"]
        else:
            state["copy"].pop(e["station_id"], None)
    state["cursor"] = body["next_cursor"]
    return len(body["items"])


def setup_partner(engine: Engine) -> tuple[dict[str, str], list[uuid.UUID]]:
    rng = random.Random(99)
    with Session(engine, expire_on_commit=False) as session:
        for code, kind in (
            ("NCHMF", OrganizationKind.national_agency),
            ("PARTNER", OrganizationKind.partner),
        ):
            ensure_organization(session, data=OrganizationCreate(code=code, name=code, kind=kind))
        session.commit()
        _, secret = create_key(session, organization="PARTNER", role=Role.partner)
        grant_partner_access(session, principal=SYSTEM, organization="PARTNER", data=ShareGrantWrite(**GRANT))
        pool = [new_station(session, rng) for _ in range(START_STATIONS)]
    return {"Authorization": f"Bearer {secret}"}, pool


def expected_events(engine: Engine) -> list[tuple[str, str, int | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT station_id, revision, state FROM station_revision ORDER BY seq")
        ).all()
    last: dict[str, bool] = {}
    out: list[tuple[str, str, int | None]] = []
    for station_id, revision, state in rows:
        sid, now = str(station_id), in_scope(state)
        if now:
            out.append(("upsert", sid, revision))
        elif last.get(sid):
            out.append(("drop", sid, None))
        last[sid] = now
    return out


def test_reader_following_the_feed_during_concurrent_writes_ends_with_the_truth(
    feed_db: str, engine: Engine
) -> None:
    headers, pool = setup_partner(engine)
    app = create_app(
        Settings(database_url=feed_db, environment="test", db_pool_size=2, rate_limit_per_minute=10**6)
    )  # type: ignore[arg-type]
    log, errors = CommitLog(), []
    state: dict[str, Any] = {"cursor": None, "copy": {}, "events": []}
    with TestClient(app) as client:
        threads = [
            threading.Thread(target=writer, args=(engine, n, pool, log, errors)) for n in range(WRITERS)
        ]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            read_page(client, headers, state)
            time.sleep(0.002)
        for t in threads:
            t.join()
        read_while_writing = len(state["events"])
        while read_page(client, headers, state):
            pass
        truth = client.get("/share/v1/stations", headers=headers).json()["features"]
    assert errors == []
    assert read_while_writing > 20, "the reader must have followed the feed while writers were writing"
    committed = [seq for commit in log.commits for seq in commit]
    assert committed != sorted(committed), "some transactions must have committed out of seq order"
    got = [
        (e["op"], e["station_id"], e["station"]["revision"] if e["station"] else None)
        for e in state["events"]
    ]
    assert got == expected_events(engine)
    assert len({e["cursor"] for e in state["events"]}) == len(state["events"])
    assert {f["id"]: f["properties"] | {"location": f["geometry"]} for f in truth} == state["copy"]
    assert len(state["copy"]) > 0
