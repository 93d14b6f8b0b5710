"""Zone geometry rules: each bad geometry is refused saying what is wrong and where."""

from typing import Any

import pytest
from pyproj import Geod
from shapely.geometry import MultiPolygon

from domain.zone.rules import (
    MAX_AREA_KM2,
    MAX_VERTICES,
    CoordinateOutOfRange,
    EmptyGeometry,
    GeometryTooLarge,
    HazardRequired,
    InvalidPolygon,
    MalformedCoordinates,
    RingNotClosed,
    SelfIntersection,
    TooManyVertices,
    WrongGeometryType,
    ZoneOutsideServiceArea,
    approx_area_km2,
    check_hazard,
    check_zone_geometry,
    location_of,
)

SQUARE = [[105.0, 20.0], [106.0, 20.0], [106.0, 21.0], [105.0, 21.0], [105.0, 20.0]]
BOWTIE = [[105.0, 20.0], [106.0, 21.0], [106.0, 20.0], [105.0, 21.0], [105.0, 20.0]]


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def test_valid_polygon_becomes_a_multipolygon() -> None:
    geom = check_zone_geometry(polygon(SQUARE))
    assert isinstance(geom, MultiPolygon) and len(geom.geoms) == 1
    assert geom.bounds == (105.0, 20.0, 106.0, 21.0)


def test_valid_multipolygon_keeps_its_parts() -> None:
    other = [[108.0, 12.0], [108.5, 12.0], [108.5, 12.5], [108.0, 12.0]]
    geom = check_zone_geometry({"type": "MultiPolygon", "coordinates": [[SQUARE], [other]]})
    assert len(geom.geoms) == 2


@pytest.mark.parametrize("kind", ["Point", "LineString", "GeometryCollection", None])
def test_wrong_geometry_type_is_refused_naming_the_type(kind: str | None) -> None:
    with pytest.raises(WrongGeometryType) as err:
        check_zone_geometry({"type": kind, "coordinates": [105.0, 20.0]})
    assert err.value.extra["pointer"] == "#/geometry/type"
    assert str(kind) in err.value.detail and "Polygon or MultiPolygon" in err.value.detail


def test_geometry_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(WrongGeometryType):
        check_zone_geometry([105, 20])


def test_unclosed_ring_is_refused_with_its_pointer_and_ends() -> None:
    with pytest.raises(RingNotClosed) as err:
        check_zone_geometry(polygon(SQUARE[:-1] + [[105.0, 20.5]]))
    assert err.value.extra["pointer"] == "#/geometry/coordinates/0"
    assert "[105.0, 20.0]" in err.value.detail and "[105.0, 20.5]" in err.value.detail


def test_unclosed_ring_in_second_polygon_of_multipolygon_points_at_it() -> None:
    open_ring = [[108.0, 12.0], [108.5, 12.0], [108.5, 12.5], [108.1, 12.1]]
    with pytest.raises(RingNotClosed) as err:
        check_zone_geometry({"type": "MultiPolygon", "coordinates": [[SQUARE], [open_ring]]})
    assert err.value.extra["pointer"] == "#/geometry/coordinates/1/0"


def test_self_intersection_is_refused_with_its_location() -> None:
    with pytest.raises(SelfIntersection) as err:
        check_zone_geometry(polygon(BOWTIE))
    assert err.value.extra["location"] == [105.5, 20.5]
    assert "longitude 105.5, latitude 20.5" in err.value.detail


def test_overlapping_parts_of_a_multipolygon_are_a_self_intersection() -> None:
    shifted = [[x + 0.5, y] for x, y in SQUARE]
    with pytest.raises(SelfIntersection) as err:
        check_zone_geometry({"type": "MultiPolygon", "coordinates": [[SQUARE], [shifted]]})
    assert err.value.extra["location"] is not None


def test_hole_outside_its_shell_is_an_invalid_polygon_with_location() -> None:
    hole = [[107.0, 20.0], [107.5, 20.0], [107.5, 20.5], [107.0, 20.0]]
    with pytest.raises(InvalidPolygon) as err:
        check_zone_geometry(polygon(SQUARE, hole))
    assert "Hole lies outside shell" in err.value.detail and err.value.extra["location"]


@pytest.mark.parametrize(
    ("position", "word"), [([181.0, 20.0], "longitude 181.0"), ([105.0, -91.0], "latitude -91.0")]
)
def test_coordinate_out_of_range_is_refused_with_its_pointer(position: list[float], word: str) -> None:
    ring = [list(p) for p in SQUARE]
    ring[2] = position
    with pytest.raises(CoordinateOutOfRange) as err:
        check_zone_geometry(polygon(ring))
    assert err.value.extra["pointer"] == "#/geometry/coordinates/0/2"
    assert word in err.value.detail


@pytest.mark.parametrize("position", [["105", 20.0], [105.0], [105.0, float("nan")], [True, 20.0], 105.0])
def test_malformed_position_is_refused_with_its_pointer(position: Any) -> None:
    ring: list[Any] = [list(p) for p in SQUARE]
    ring[1] = position
    with pytest.raises(MalformedCoordinates) as err:
        check_zone_geometry(polygon(ring))
    assert err.value.extra["pointer"] == "#/geometry/coordinates/0/1"


def test_ring_with_too_few_positions_is_refused() -> None:
    with pytest.raises(InvalidPolygon) as err:
        check_zone_geometry(polygon([[105.0, 20.0], [106.0, 20.0], [105.0, 20.0]]))
    assert "at least 4 positions" in err.value.detail


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Polygon", "coordinates": []},
        {"type": "MultiPolygon", "coordinates": []},
        {"type": "MultiPolygon", "coordinates": [[]]},
    ],
)
def test_empty_geometry_is_refused(geometry: dict[str, Any]) -> None:
    with pytest.raises(EmptyGeometry):
        check_zone_geometry(geometry)


def test_ring_folded_onto_itself_is_refused_with_location() -> None:
    flat = [[105.0, 20.0], [106.0, 20.0], [105.5, 20.0], [105.0, 20.0]]
    with pytest.raises(SelfIntersection) as err:
        check_zone_geometry(polygon(flat))
    assert err.value.extra["location"] == [105.5, 20.0]


def test_enormous_zone_is_refused_with_its_area() -> None:
    big = [[95.0, 0.0], [125.0, 0.0], [125.0, 30.0], [95.0, 30.0], [95.0, 0.0]]
    with pytest.raises(GeometryTooLarge) as err:
        check_zone_geometry(polygon(big))
    assert err.value.extra["area_km2"] > MAX_AREA_KM2
    assert "2,000,000 km²" in err.value.detail


def test_zone_outside_the_service_area_is_refused_saying_where() -> None:
    bangkok = [[100.0, 13.0], [100.8, 13.0], [100.8, 14.0], [100.0, 14.0], [100.0, 13.0]]
    with pytest.raises(ZoneOutsideServiceArea) as err:
        check_zone_geometry(polygon(bangkok))
    assert err.value.detail.startswith("the whole zone lies outside")
    lon, lat = err.value.extra["location"]
    assert 100.0 <= lon <= 100.8 and 13.0 <= lat <= 14.0


def test_zone_partly_in_laos_is_refused_with_the_share_outside() -> None:
    across = [[104.0, 17.0], [107.0, 17.0], [107.0, 18.0], [104.0, 18.0], [104.0, 17.0]]
    with pytest.raises(ZoneOutsideServiceArea) as err:
        check_zone_geometry(polygon(across))
    assert 0.05 < err.value.extra["outside_share"] < 0.95
    assert "% of the zone" in err.value.detail


def test_more_vertices_than_the_limit_is_refused() -> None:
    n = MAX_VERTICES + 10
    ring = [[105.0 + 0.5 * (i / n), 20.0 + 0.0001 * (i % 2)] for i in range(n)]
    ring += [[105.5, 20.5], [105.0, 20.5], ring[0]]
    with pytest.raises(TooManyVertices) as err:
        check_zone_geometry(polygon(ring))
    assert err.value.extra["limit"] == MAX_VERTICES


def test_location_of_reads_geos_reasons() -> None:
    assert location_of("Self-intersection[105.5 20.5]") == [105.5, 20.5]
    assert location_of("Ring Self-intersection[-1.5e-05 3]") == [-1.5e-05, 3.0]
    assert location_of("Too few points") is None


def test_approx_area_is_within_half_a_percent_of_the_geodesic_area() -> None:
    geom = check_zone_geometry(polygon(SQUARE))
    area, _ = Geod(ellps="WGS84").polygon_area_perimeter([105, 106, 106, 105], [20, 20, 21, 21])
    assert approx_area_km2(geom) == pytest.approx(abs(area) / 1e6, rel=5e-3)


def test_disaster_prone_zone_needs_a_hazard() -> None:
    with pytest.raises(HazardRequired) as err:
        check_hazard("disaster_prone", None)
    assert err.value.extra["pointer"] == "#/properties/hazard"
    check_hazard("disaster_prone", "flood")
    check_hazard("sea", None)
