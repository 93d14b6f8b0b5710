"""Station pages run as SQL compiled once per combination of filters, with each request's values."""

import uuid

from sqlmodel import Session

from domain.access.models import SYSTEM, Principal, Role
from domain.station import read_queries, reads
from domain.station.filters import StationFilter
from tests.factories import make_station

ADMIN = Principal(organization="NCHMF", role=Role.admin, key_id=uuid.uuid4())


def _point(lon: float, lat: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [lon, lat]}


def test_one_combination_of_filters_is_compiled_once_and_reused_with_other_values() -> None:
    hue = StationFilter(network=["national"], near=(107.59, 16.46), radius_km=10)
    hanoi = StationFilter(network=["specialized", "national"], near=(105.8, 21.0), radius_km=50)
    sql_a, values_a = read_queries.station_page_sql(hue, ADMIN, after=None, limit=100, geojson=True)
    sql_b, values_b = read_queries.station_page_sql(hanoi, ADMIN, after=None, limit=100, geojson=True)
    assert sql_a is sql_b
    assert (values_a["network"], values_a["near_m"]) == (["national"], 10_000)
    assert (values_b["network"], values_b["near_m"]) == (["specialized", "national"], 50_000)
    other, _ = read_queries.station_page_sql(hanoi, ADMIN, after="X", limit=100, geojson=True)
    assert other != sql_a and "national_code >" in other


def test_a_near_circle_without_a_simple_box_is_tested_exactly(db: Session) -> None:
    """Across the antimeridian no lon/lat box holds the circle: the exact test alone must run."""
    far = StationFilter(near=(179.99, 10.0), radius_km=100)
    sql, values = read_queries.station_page_sql(far, ADMIN, after=None, limit=10, geojson=False)
    assert "&&" not in sql and "near_w" not in values
    page = reads.list_stations(db, principal=ADMIN, filters=far, cursor=None, limit=10, geojson=False)
    assert page.items == []


def test_text_search_treats_like_wildcards_as_plain_characters(db: Session) -> None:
    make_station(db, name="Trạm đo mưa 50% Sơn_La", location=_point(103.9, 21.3))
    make_station(db, name="Trạm đo mưa 500 Sơn La", location=_point(103.91, 21.31))
    found = reads.list_stations(
        db, principal=SYSTEM, filters=StationFilter(q="50% son_la"), cursor=None, limit=10, geojson=False
    )
    assert len(found.items) == 1 and "50% Sơn_La" in found.items[0].decode()
