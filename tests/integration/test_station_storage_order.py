"""Stations stored in spatial order: `hydromet db reorder` keeps every row and page; bbox pages walk each station once."""

import json
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from api.cli import main
from domain.access.models import ANONYMOUS, SYSTEM, Principal, Role
from domain.db.engine import libpq_url
from domain.settings import get_settings
from domain.sharing import ogc
from domain.station import read_queries, reads
from domain.station.filters import StationFilter, parse_bbox
from domain.station.models import Station
from tests.databases import committed_database
from tests.factories import make_station

pytestmark = pytest.mark.slow
ADMIN = Principal(organization="NCHMF", role=Role.admin, key_id=uuid.uuid4())
BOXES = ("105.2,20.2,105.7,20.7", "106.1,21.0,106.6,21.5", "105.0,20.0,107.0,22.0")
SPREAD = "ST_SetSRID(ST_MakePoint(105 + random() * 2, 20 + 2 * random()), 4326)"  # two distinct draws


@pytest.fixture(scope="module")
def spread_url() -> Iterator[str]:
    """A database of its own (CLUSTER locks the whole table): 3,000 stations over 2x2 degrees, in random order."""
    with committed_database("storage") as url:
        engine = create_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            make_station(session, "NCHMF")
            columns = [c.name for c in Station.__table__.columns]  # type: ignore[attr-defined]
            made = {"id": "gen_random_uuid()", "national_code": "'S-' || lpad(g::text, 5, '0')", "location": SPREAD,
                    "data_policy": "CASE WHEN g % 10 = 0 THEN 'restricted' ELSE data_policy END",
                    "status": "CASE WHEN g % 17 = 0 THEN 'closed' ELSE status END"}  # fmt: skip
            values = ", ".join(made.get(c, c) for c in columns)
            session.execute(text(f"INSERT INTO station ({', '.join(columns)}) SELECT {values} "  # noqa: S608
                                 "FROM station, generate_series(1, 3000) AS g ORDER BY md5(g::text)"))  # fmt: skip
            session.commit()
        engine.dispose()
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE) station")
        yield url


def _registry_walk(session: Session, principal: Principal, box: str, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = reads.list_stations(
            session, principal=principal, filters=StationFilter(bbox=parse_bbox(box)),
            cursor=cursor, limit=limit, geojson=True,
        )  # fmt: skip
        pages.append([bytes(i).decode() if not isinstance(i, str) else i for i in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def _ogc_walk(session: Session, box: str, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        raw = ogc.RawItemsQuery(bbox=box, limit=str(limit), cursor=cursor)
        query = ogc.parse_items_query("stations", raw, default=10, maximum=10_000)
        page = ogc.list_items(session, principal=ANONYMOUS, collection_id="stations", query=query)
        pages.append(list(page.features))
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def _every_page(url: str) -> dict[str, list[list[str]]]:
    engine = create_engine(url)
    out: dict[str, list[list[str]]] = {}
    with Session(engine) as session:
        for box in BOXES:
            out[f"registry admin {box}"] = _registry_walk(session, ADMIN, box, 37)
            out[f"registry public {box}"] = _registry_walk(session, ANONYMOUS, box, 37)
            out[f"ogc {box}"] = _ogc_walk(session, box, 37)
    engine.dispose()
    return out


def _rows(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute("SELECT s::text FROM station s ORDER BY id").fetchall()


def _heap_pages_of_box(url: str) -> int:
    """Return how many heap pages hold the stations of one 0.5-degree box."""
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(
            "SELECT count(DISTINCT (ctid::text::point)[0]) FROM station "
            "WHERE location && ST_MakeEnvelope(105.2, 20.2, 105.7, 20.7, 4326)"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_reorder_keeps_every_row_and_every_bbox_page_and_packs_a_box_on_fewer_pages(
    spread_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, pages, scattered = _rows(spread_url), _every_page(spread_url), _heap_pages_of_box(spread_url)
    monkeypatch.setenv("HYDROMET_DATABASE_URL", spread_url)
    get_settings.cache_clear()
    try:
        assert main(["db", "reorder"]) == 0
    finally:
        get_settings.cache_clear()
    assert "reordered 3001 stations" in capsys.readouterr().out
    assert _rows(spread_url) == rows
    assert _every_page(spread_url) == pages
    packed = _heap_pages_of_box(spread_url)
    assert packed * 3 < scattered, (packed, scattered)
    with psycopg.connect(libpq_url(spread_url)) as conn:
        clustered = conn.execute(
            "SELECT indisclustered FROM pg_index WHERE indexrelid = 'idx_station_location'::regclass"
        ).fetchone()
    assert clustered == (True,)


def _codes(pages: list[list[str]], key: str) -> list[str]:
    return [json.loads(f)[key]["national_code"] for page in pages for f in page]


@pytest.mark.parametrize("box", BOXES)
def test_a_bbox_keyset_walk_returns_each_station_in_the_box_once_in_code_order(
    spread_url: str, box: str
) -> None:
    w, s, e, n = parse_bbox(box)
    with psycopg.connect(libpq_url(spread_url)) as conn:
        inside = "ST_Intersects(location, ST_MakeEnvelope(%s, %s, %s, %s, 4326))"
        every = [
            r[0] for r in conn.execute(f"SELECT national_code FROM station WHERE {inside}", (w, s, e, n))
        ]  # noqa: S608
        public = [
            r[0]
            for r in conn.execute(
                "SELECT national_code FROM station WHERE location && ST_MakeEnvelope(%s, %s, %s, %s, 4326) "
                "AND data_policy <> 'restricted' AND status <> 'closed'",
                (w, s, e, n),
            )
        ]
    engine = create_engine(spread_url)
    with Session(engine) as session:
        registry = _codes(_registry_walk(session, ADMIN, box, 23), "properties")
        shared = _codes(_ogc_walk(session, box, 23), "properties")
    engine.dispose()
    assert len(every) > 100
    assert registry == sorted(every)
    assert shared == sorted(public)


def test_a_bbox_page_reads_its_keys_from_the_covering_spatial_index_alone(spread_url: str) -> None:
    sql, values = read_queries.station_page_sql(
        StationFilter(bbox=parse_bbox(BOXES[0])), ADMIN, after=None, limit=100, geojson=True
    )
    with psycopg.connect(libpq_url(spread_url)) as conn:
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + sql, values))  # type: ignore[arg-type]
    assert "Index Only Scan using idx_station_location" in plan, plan


def test_the_registry_bbox_is_exact_at_its_edges(db: Session) -> None:
    """On an edge or a corner is inside; 1 m outside is not (the GiST box test alone rounds to float4)."""
    on_edge = make_station(db, location={"type": "Point", "coordinates": [108.15, 16.05]})
    corner = make_station(db, location={"type": "Point", "coordinates": [108.3, 16.1]})
    make_station(db, location={"type": "Point", "coordinates": [108.14999, 16.05]})
    box = StationFilter(bbox=(108.15, 16.0, 108.3, 16.1))
    page = reads.list_stations(db, principal=SYSTEM, filters=box, cursor=None, limit=10, geojson=False)
    codes = {json.loads(bytes(i))["national_code"] for i in page.items}
    assert codes == {on_edge.national_code, corner.national_code}
