"""Proposed sites: each adds the most priority-weighted uncovered area; land types on land, marine at sea."""

import math

import pytest
from shapely.geometry import Point, box, shape
from sqlalchemy import text
from sqlmodel import Session

from domain.access.models import SYSTEM
from domain.coverage.models import ProposalCollection
from domain.coverage.service import find_coverage_gaps, propose_sites
from domain.errors import InvalidQuery
from tests.factories import make_station
from tests.factories_zones import COAST_SQUARE, LAND_SQUARE, SEA_SQUARE, distance_km, make_zone, square

R = 20.0
CIRCLE = math.pi * R * R


def _propose(db: Session, **kw: object) -> ProposalCollection:
    args: dict[str, object] = {"station_type": "rain_gauge", "radius_km": R, "count": 3} | kw
    return propose_sites(db, principal=SYSTEM, **args)  # type: ignore[arg-type]


def _on_land(db: Session, lon: float, lat: float) -> bool:
    sql = text(
        "SELECT EXISTS (SELECT 1 FROM province WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)))"
    )
    return bool(db.execute(sql, {"x": lon, "y": lat}).scalar_one())


def test_first_sites_in_an_empty_square_add_whole_circles_barely_overlapping(db: Session) -> None:
    make_zone(db, code="test-square")
    sites = _propose(db, zone_id="test-square").features
    assert [s.properties.rank for s in sites] == [1, 2, 3]
    for s in sites:
        assert s.properties.added_area_km2 == pytest.approx(CIRCLE, rel=0.01)
        assert s.properties.zones == ["test-square"]
        assert box(*LAND_SQUARE).contains(Point(s.geometry["coordinates"]))
    # Candidates lie on a grid R/4 apart, so the best may overlap a neighbour by a sliver (< 1% of a circle).
    points = [tuple(s.geometry["coordinates"]) for s in sites]
    assert all(distance_km(a, b) >= 2 * R * 0.95 for i, a in enumerate(points) for b in points[i + 1 :])


def test_the_added_areas_add_up_to_what_the_gaps_say_is_covered(db: Session) -> None:
    make_zone(db, code="test-square")
    sites = _propose(db, zone_id="test-square", count=10).features
    added = [s.properties.added_area_km2 for s in sites]
    assert len(sites) == 10 and added == sorted(added, reverse=True)
    for s in sites:
        make_station(db, location=s.geometry, status="planned")
    gaps = find_coverage_gaps(
        db,
        principal=SYSTEM,
        station_type="rain_gauge",
        radius_km=R,
        zone_id="test-square",
        include_planned=True,
    ).properties
    assert gaps.zone_area_km2 - gaps.uncovered_area_km2 == pytest.approx(sum(added), rel=0.005)


def test_existing_stations_are_not_duplicated(db: Session) -> None:
    make_zone(db, code="test-square")
    make_station(db, location={"type": "Point", "coordinates": [105.5, 20.5]})
    sites = _propose(db, zone_id="test-square", count=5).features
    assert all(distance_km(tuple(s.geometry["coordinates"]), (105.5, 20.5)) >= R * 0.99 for s in sites)


def test_the_first_site_goes_to_the_heavier_zone(db: Session) -> None:
    make_zone(db, code="test-light", priority_weight=1.0, geometry=square((105.0, 20.0, 105.5, 20.5)))
    make_zone(db, code="test-heavy", priority_weight=5.0, geometry=square((105.5, 20.5, 106.0, 21.0)))
    first = _propose(db, zone_id=None, zone_category="coastal", count=1).features[0]
    assert first.properties.zones == ["test-heavy"]
    assert first.properties.added_weighted_area_km2 == pytest.approx(5 * CIRCLE, rel=0.01)


def test_land_types_are_proposed_on_land_and_marine_types_at_sea(db: Session) -> None:
    make_zone(db, code="test-coast", geometry=square(COAST_SQUARE))
    land = _propose(db, zone_id="test-coast", count=4).features
    sea = _propose(db, zone_id="test-coast", count=4, station_type="marine").features
    assert len(land) == 4 and len(sea) == 4
    assert all(_on_land(db, *s.geometry["coordinates"]) for s in land)
    assert not any(_on_land(db, *s.geometry["coordinates"]) for s in sea)


def test_land_types_get_no_site_in_a_zone_without_land(db: Session) -> None:
    make_zone(db, code="test-sea", geometry=square(SEA_SQUARE), category="sea")
    result = _propose(db, zone_id="test-sea")
    assert result.features == [] and result.properties["placed_on"] == "land"
    assert len(_propose(db, zone_id="test-sea", station_type="marine").features) == 3


def test_proposals_stop_when_nothing_is_left_to_cover(db: Session) -> None:
    make_zone(db, code="test-tiny", geometry=square((105.4, 20.4, 105.5, 20.5)))
    sites = _propose(db, zone_id="test-tiny", count=5).features
    assert len(sites) == 1
    tiny = shape(square((105.4, 20.4, 105.5, 20.5)))
    assert sites[0].properties.added_area_km2 == pytest.approx(
        sum(f.properties.added_area_km2 for f in sites), rel=1e-9
    )
    assert tiny.buffer(0.01).contains(Point(sites[0].geometry["coordinates"]))


@pytest.mark.parametrize("count", [0, 51])
def test_count_out_of_range_is_refused(db: Session, count: int) -> None:
    make_zone(db, code="test-square")
    with pytest.raises(InvalidQuery) as err:
        _propose(db, zone_id="test-square", count=count)
    assert err.value.extra["parameter"] == "count"
