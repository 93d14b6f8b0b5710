"""CQL2 filters compile to SQL with bound values, and a spatial filter is answered from the GiST index."""

import uuid
from typing import Any

from sqlalchemy import Select, text
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.cql.queries import filter_condition
from domain.sharing import queries as sharing_queries
from domain.sharing.rules import PUBLIC_SCOPE
from domain.station import read_queries
from domain.station.filters import StationFilter, parse_station_cql
from domain.station.models import Station
from tests.factories import make_station

ADMIN = Principal(organization="NCHMF", role=Role.admin, key_id=uuid.uuid4())
SPATIAL = "S_INTERSECTS(geometry, POLYGON((106 16, 106.3 16, 106.3 16.3, 106 16.3, 106 16)))"


def _many_stations(db: Session, n: int) -> None:
    """Copy one station n times at random positions over Viet Nam, then ANALYZE, as at scale."""
    make_station(db, "NCHMF")
    columns = [c.name for c in Station.__table__.columns]  # type: ignore[attr-defined]
    made = {"id": "gen_random_uuid()", "national_code": "'G-' || g",
            "location": "ST_SetSRID(ST_MakePoint(102.2 + random() * 7, 8.6 + random() * 14.7), 4326)"}  # fmt: skip
    values = ", ".join(made.get(c, c) for c in columns)
    db.execute(text(f"INSERT INTO station ({', '.join(columns)}) SELECT {values} "  # noqa: S608
                    f"FROM station, generate_series(1, {n}) AS g"))  # fmt: skip
    db.execute(text("ANALYZE station"))


def _plan(db: Session, stmt: Select[Any]) -> str:
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    return "\n".join(r[0] for r in db.execute(text("EXPLAIN " + sql)))


def test_filter_text_reaches_the_database_only_as_bound_values() -> None:
    cql = parse_station_cql("name = 'x''; DROP TABLE station; --'", lang=None, crs=None)
    assert cql is not None
    sql, values = read_queries.station_page_sql(
        StationFilter(cql=cql), ADMIN, after=None, limit=10, geojson=False
    )
    assert "DROP" not in sql and "x'; DROP TABLE station; --" in values.values()


def test_a_spatial_filter_uses_the_gist_index_on_public_and_registry_pages(db: Session) -> None:
    _many_stations(db, 20_000)
    cql = parse_station_cql(SPATIAL, lang=None, crs=None)
    assert cql is not None
    condition = filter_condition(cql, read_queries.cql_columns())
    public = sharing_queries.select_station_page(
        PUBLIC_SCOPE, after=None, limit=100, geojson=True, condition=condition
    )
    assert "idx_station_location" in _plan(db, public)
    sql, values = read_queries.station_page_sql(
        StationFilter(cql=cql), ADMIN, after=None, limit=100, geojson=True
    )
    rows = db.connection().exec_driver_sql("EXPLAIN " + sql, values).all()
    assert "idx_station_location" in "\n".join(r[0] for r in rows)
