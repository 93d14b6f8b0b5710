"""The change feed read in chunks and streamed: the same events and cursors, no scan when nothing is new."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from domain.access.models import SYSTEM, OrganizationCreate, OrganizationKind, Principal, Role
from domain.access.service import ensure_organization
from domain.sharing import feed
from domain.sharing.models import ShareGrantWrite
from domain.sharing.service import grant_partner_access
from domain.station.models import StationUpdate
from domain.station.service import update_station
from tests.databases import committed_database
from tests.factories import make_org, make_station
from tests.factories_zones import SEA_SQUARE, make_zone, square

PARTNER = Principal(organization="PARTNER", role=Role.partner)


def _partner(db: Session) -> None:
    make_org(db, "PARTNER", OrganizationKind.partner)
    grant_partner_access(db, principal=SYSTEM, organization="PARTNER", data=ShareGrantWrite())


def _streamed(db: Session, after: str | None, limit: int, chunk: int) -> tuple[bytes, dict[str, Any]]:
    body = b"".join(feed.stream_changes(db, principal=PARTNER, after=after, limit=limit, chunk=chunk))
    return body, json.loads(body)


def test_a_page_read_in_several_statements_is_the_page_read_in_one(db: Session) -> None:
    _partner(db)
    stations = [make_station(db, "NCHMF", name=f"S{i}") for i in range(7)]
    for station in stations[:3]:
        update_station(
            db, principal=SYSTEM, station_id=station.id, data=StationUpdate(elevation_m=5.0), if_match=1
        )
    update_station(
        db,
        principal=SYSTEM,
        station_id=stations[3].id,
        data=StationUpdate(data_policy="restricted"),
        if_match=1,
    )  # a drop among the upserts
    after: str | None = None
    pages = 0
    while True:
        whole = feed.read_changes(db, principal=PARTNER, after=after, limit=4)
        body, page = _streamed(db, after, limit=4, chunk=3)
        assert body == whole.to_json().encode()  # the same bytes, cursor included
        pages, after = pages + 1, page["next_cursor"]
        if not page["items"]:
            break
    assert pages == 4  # 11 events: 4 + 4 + 3, then the empty page


def test_a_page_of_ten_thousand_is_read_a_chunk_at_a_time(db: Session) -> None:
    _partner(db)
    ids = [str(make_station(db, "NCHMF", name=f"C{i}").id) for i in range(5)]
    _, page = _streamed(db, None, limit=10_000, chunk=2)
    assert [e["station_id"] for e in page["items"]] == ids
    _, again = _streamed(db, page["next_cursor"], limit=10_000, chunk=2)
    assert again == {"items": [], "next_cursor": page["next_cursor"]}


def test_the_current_revision_shows_stored_zones_and_a_past_one_its_own_place(db: Session) -> None:
    _partner(db)
    make_zone(db, code="test-feed-land")
    make_zone(db, code="test-feed-sea", geometry=square(SEA_SQUARE))
    station = make_station(db, "NCHMF", location={"type": "Point", "coordinates": [105.5, 20.5]})
    sea = {"type": "Point", "coordinates": [110.5, 12.5]}
    update_station(db, principal=SYSTEM, station_id=station.id, data=StationUpdate(location=sea), if_match=1)
    _, page = _streamed(db, None, limit=10, chunk=1)
    (first, second) = (e["station"] for e in page["items"])
    assert (first["revision"], first["zones"], first["location"]["coordinates"]) == (
        1,
        ["test-feed-land"],
        [105.5, 20.5],
    )
    assert (second["revision"], second["zones"], second["location"]) == (2, ["test-feed-sea"], sea)
    assert second["created_at"] == first["created_at"] and second["updated_at"] > first["updated_at"]


@pytest.fixture(scope="module")
def caught_up_engine() -> Iterator[Engine]:
    with committed_database("stream") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            for code, kind in (
                ("NCHMF", OrganizationKind.national_agency),
                ("PARTNER", OrganizationKind.partner),
            ):
                ensure_organization(session, data=OrganizationCreate(code=code, name=code, kind=kind))
            session.commit()
            grant_partner_access(session, principal=SYSTEM, organization="PARTNER", data=ShareGrantWrite())
            make_station(session, "NCHMF")
        yield engine
        engine.dispose()


def test_nothing_new_is_answered_without_reading_the_revisions(caught_up_engine: Engine) -> None:
    engine = caught_up_engine
    with Session(engine) as session:
        caught_up = feed.read_changes(session, principal=PARTNER, after=None, limit=100).next_cursor
    with engine.connect() as locker:
        locker.execute(text("LOCK TABLE station_revision IN ACCESS EXCLUSIVE MODE"))  # held until rollback
        with Session(engine) as session:
            session.execute(text("SET LOCAL lock_timeout = '1s'"))
            _, idle = _streamed(session, caught_up, limit=100, chunk=100)
        assert idle == {"items": [], "next_cursor": caught_up}
        with Session(engine) as session, pytest.raises(OperationalError, match="lock timeout"):
            session.execute(text("SET LOCAL lock_timeout = '1s'"))
            feed.stream_changes(session, principal=PARTNER, after=None, limit=100)  # a page to read: blocked
        locker.rollback()
