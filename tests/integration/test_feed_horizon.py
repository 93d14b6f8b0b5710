"""The feed horizon: a reader never passes a revision whose transaction is still open (committed data)."""

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlmodel import Session

from domain.access.models import SYSTEM, OrganizationCreate, OrganizationKind, Principal, Role
from domain.access.service import ensure_organization
from domain.sharing import feed, queries
from domain.sharing.models import ShareGrantWrite
from domain.sharing.rules import decode_feed_cursor
from domain.sharing.service import grant_partner_access
from domain.station.models import StationCreate
from domain.station.service import register_station
from tests.databases import committed_database
from tests.factories import station_body

PARTNER = Principal(organization="PARTNER", role=Role.partner)
# a copy of a station's first revision under a new revision number, as a writer transaction would add
ADD_REVISION = text(
    "INSERT INTO station_revision (station_id, revision, op, actor, state)"
    " SELECT station_id, :revision, 'update', 'test', state FROM station_revision"
    " WHERE station_id = :station_id AND revision = 1 RETURNING seq"
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with committed_database("horizon") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            for code, kind in (
                ("NCHMF", OrganizationKind.national_agency),
                ("PARTNER", OrganizationKind.partner),
            ):
                ensure_organization(session, data=OrganizationCreate(code=code, name=code, kind=kind))
            session.commit()
            grant_partner_access(session, principal=SYSTEM, organization="PARTNER", data=ShareGrantWrite())
        yield engine
        engine.dispose()


@pytest.fixture
def station_id(engine: Engine) -> str:
    with Session(engine) as session:
        data = StationCreate.model_validate(station_body(owner="NCHMF"))
        return str(register_station(session, principal=SYSTEM, data=data).id)


def add_revision(conn: Connection, station_id: str, revision: int) -> int:
    return int(conn.execute(ADD_REVISION, {"station_id": station_id, "revision": revision}).scalar_one())


def read_all(engine: Engine, after: str | None) -> tuple[list[int], str]:
    """Return the seq of every event after a cursor (from its cursor), and the last cursor."""
    seqs: list[int] = []
    with Session(engine) as session:
        while True:
            page = feed.read_changes(session, principal=PARTNER, after=after, limit=2)
            seqs += [decode_feed_cursor(json.loads(item)["cursor"])[1] for item in page.items]
            after = page.next_cursor
            if not page.items:
                return seqs, after
            session.commit()


def test_an_open_transaction_holds_the_horizon_until_it_ends(engine: Engine, station_id: str) -> None:
    _, cursor = read_all(engine, None)
    with engine.connect() as slow, engine.connect() as fast:
        slow_tx = slow.begin()
        held = add_revision(slow, station_id, 100)
        with fast.begin():
            later = add_revision(fast, station_id, 200)
        assert later > held
        with Session(engine) as session:
            assert queries.feed_horizon(session) == held - 1
        before, cursor_2 = read_all(engine, cursor)
        assert before == []  # revision 200 committed, but it must wait for 100
        slow_tx.commit()
    after, _ = read_all(engine, cursor_2)
    assert after == [held, later]  # each once, in seq order


def test_a_rolled_back_transaction_leaves_a_gap_the_reader_passes(engine: Engine, station_id: str) -> None:
    _, cursor = read_all(engine, None)
    with engine.connect() as conn:
        tx = conn.begin()
        lost = add_revision(conn, station_id, 300)
        tx.rollback()
        with conn.begin():
            kept = add_revision(conn, station_id, 301)
    events, _ = read_all(engine, cursor)
    assert events == [kept] and kept > lost


def test_a_writer_announces_again_after_a_rolled_back_savepoint(engine: Engine, station_id: str) -> None:
    with engine.connect() as conn:
        tx = conn.begin()
        savepoint = conn.begin_nested()
        add_revision(conn, station_id, 400)
        savepoint.rollback()
        held = add_revision(conn, station_id, 401)
        with Session(engine) as session:
            assert queries.feed_horizon(session) < held
        tx.commit()
    with Session(engine) as session:
        assert queries.feed_horizon(session) >= held
