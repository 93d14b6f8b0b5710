"""Coverage gaps against an independent computation on geometry checkable by hand.

The zone is a 1 x 1 degree square near Ha Noi (about 11,650 km²); its area comes independently
from pyproj's geodesic polygon area, and station positions from pyproj's geodesic forward problem.
Tolerances: areas within 1% (the buffer is a 64-gon, 0.16% short of the circle; the equal-area
projection keeps areas exact and distances within 0.3% this close to its centre).
"""

import math

import pytest
from shapely.geometry import shape
from sqlmodel import Session

from domain.access.models import SYSTEM, Principal, Role
from domain.coverage.service import find_coverage_gaps
from domain.errors import InvalidQuery
from domain.zone.service import ZoneNotFound
from tests.factories import make_station
from tests.factories_zones import LAND_SQUARE, geodesic_area_km2, lens_km2, make_zone, move, square

CENTRE = (105.5, 20.5)
R = 20.0  # km
CIRCLE = math.pi * R * R


def _station(db: Session, lon: float, lat: float, **kw: object) -> None:
    make_station(db, location={"type": "Point", "coordinates": [lon, lat]}, **kw)


def _gaps(db: Session, **kw: object) -> dict[str, float]:
    args: dict[str, object] = {"station_type": "rain_gauge", "radius_km": R, "zone_id": "test-square"} | kw
    return find_coverage_gaps(db, principal=SYSTEM, **args).properties.model_dump()  # type: ignore[arg-type]


@pytest.fixture
def zone(db: Session) -> float:
    make_zone(db, code="test-square")
    return geodesic_area_km2(LAND_SQUARE)


def test_without_stations_the_whole_zone_is_uncovered(db: Session, zone: float) -> None:
    gaps = _gaps(db)
    assert gaps["zone_area_km2"] == pytest.approx(zone, rel=1e-3)
    assert gaps["uncovered_area_km2"] == pytest.approx(zone, rel=1e-3)
    assert gaps["uncovered_share"] == pytest.approx(1.0, abs=1e-3) and gaps["stations_counted"] == 0


def test_one_station_inside_leaves_the_square_minus_its_circle(db: Session, zone: float) -> None:
    _station(db, *CENTRE)
    gaps = _gaps(db)
    assert gaps["zone_area_km2"] - gaps["uncovered_area_km2"] == pytest.approx(CIRCLE, rel=0.01)
    assert gaps["uncovered_area_km2"] == pytest.approx(zone - CIRCLE, rel=0.01)
    assert gaps["uncovered_share"] == pytest.approx((zone - CIRCLE) / zone, rel=0.01)
    assert gaps["stations_counted"] == 1


def test_the_gap_geometry_has_a_hole_where_the_station_is(db: Session, zone: float) -> None:
    _station(db, *CENTRE)
    feature = find_coverage_gaps(
        db, principal=SYSTEM, station_type="rain_gauge", radius_km=R, zone_id="test-square"
    )
    geom = shape(feature.geometry)
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 1
    assert len(geom.geoms[0].interiors) == 1
    assert not geom.contains(shape({"type": "Point", "coordinates": list(CENTRE)}))
    assert geom.contains(shape({"type": "Point", "coordinates": [105.1, 20.1]}))


def test_two_overlapping_circles_count_their_lens_once(db: Session, zone: float) -> None:
    d = 25.0  # km apart, so the circles overlap
    _station(db, *move(*CENTRE, 90, d / 2))
    _station(db, *move(*CENTRE, 270, d / 2))
    covered = 2 * CIRCLE - lens_km2(R, d)
    gaps = _gaps(db)
    assert gaps["zone_area_km2"] - gaps["uncovered_area_km2"] == pytest.approx(covered, rel=0.01)


def test_station_on_the_edge_covers_half_a_circle(db: Session, zone: float) -> None:
    _station(db, 105.0, 20.5)
    gaps = _gaps(db)
    assert gaps["zone_area_km2"] - gaps["uncovered_area_km2"] == pytest.approx(CIRCLE / 2, rel=0.01)


def test_station_just_outside_covers_a_cap_and_one_beyond_the_radius_nothing(
    db: Session, zone: float
) -> None:
    _station(db, *move(105.0, 20.5, 270, R / 2))  # 10 km west of the west edge: a circular segment inside
    _station(db, *move(105.0, 20.3, 270, R + 5))  # 25 km west: out of reach
    h = R / 2
    segment = R * R * math.acos(h / R) - h * math.sqrt(R * R - h * h)
    gaps = _gaps(db)
    assert gaps["zone_area_km2"] - gaps["uncovered_area_km2"] == pytest.approx(segment, rel=0.02)
    assert gaps["stations_counted"] == 1


def test_only_the_asked_type_and_operational_stations_count(db: Session, zone: float) -> None:
    _station(db, *CENTRE, station_types=["synoptic"])
    _station(db, *move(*CENTRE, 0, 25), status="planned")
    _station(db, *move(*CENTRE, 180, 25), status="suspended")
    assert _gaps(db)["stations_counted"] == 0
    planned = _gaps(db, include_planned=True)
    assert planned["stations_counted"] == 1
    assert planned["zone_area_km2"] - planned["uncovered_area_km2"] == pytest.approx(CIRCLE, rel=0.01)
    synoptic = _gaps(db, station_type="synoptic")
    assert synoptic["stations_counted"] == 1


def test_restricted_stations_of_another_organization_do_not_count_for_a_viewer(
    db: Session, zone: float
) -> None:
    _station(db, *CENTRE, data_policy="restricted", owner="MOD")
    viewer = Principal(organization="MOT", role=Role.viewer)
    own = Principal(organization="MOD", role=Role.viewer)
    args = {"station_type": "rain_gauge", "radius_km": R, "zone_id": "test-square"}
    assert find_coverage_gaps(db, principal=viewer, **args).properties.stations_counted == 0  # type: ignore[arg-type]
    assert find_coverage_gaps(db, principal=own, **args).properties.stations_counted == 1  # type: ignore[arg-type]
    assert find_coverage_gaps(db, principal=SYSTEM, **args).properties.stations_counted == 1  # type: ignore[arg-type]


def test_a_category_counts_overlapping_zones_once(db: Session, zone: float) -> None:
    w, s, e, n = LAND_SQUARE
    make_zone(db, code="test-square-b", geometry=square((w + 0.5, s, e + 0.5, n)))
    union = geodesic_area_km2((w, s, e + 0.5, n))
    gaps = _gaps(db, zone_id=None, zone_category="coastal")
    assert gaps["zone_area_km2"] == pytest.approx(union, rel=2e-3)
    assert gaps["zones"] == ["test-square", "test-square-b"]


def test_default_radius_comes_from_the_station_type(db: Session, zone: float) -> None:
    assert _gaps(db, radius_km=None)["radius_km"] == 10.0
    assert _gaps(db, radius_km=None, station_type="synoptic")["radius_km"] == 100.0


@pytest.mark.parametrize(
    ("kw", "parameter"),
    [
        ({"radius_km": 0}, "radius_km"),
        ({"radius_km": 5000}, "radius_km"),
        ({"station_type": "weather_balloon"}, "type"),
        ({"zone_id": "test-square", "zone_category": "sea"}, "zone_category"),
        ({"zone_id": None, "zone_category": "volcano"}, "zone_category"),
    ],
)
def test_bad_gap_questions_name_the_parameter(
    db: Session, zone: float, kw: dict[str, object], parameter: str
) -> None:
    with pytest.raises(InvalidQuery) as err:
        _gaps(db, **kw)
    assert err.value.extra["parameter"] == parameter


def test_unknown_zone_is_not_found(db: Session) -> None:
    with pytest.raises(ZoneNotFound):
        _gaps(db, zone_id="no-such-zone")
