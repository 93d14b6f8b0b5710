"""VN-2000 and the other CRSs of OGC Part 2: checked against the EPSG dataset's own definitions (PROJ)."""

import pytest
from pyproj import Geod, Transformer
from pyproj.transformer import TransformerGroup

from domain.crs.rules import (
    CRS84,
    OGC,
    SUPPORTED,
    TM3_MERIDIANS,
    bbox_to_crs84,
    parse_crs,
    tm3_for_province,
    to_crs84,
    transform_geometry,
)
from domain.errors import InvalidQuery

GEOD = Geod(ellps="WGS84")
POINTS = [(105.85, 21.03), (107.59, 16.46), (108.20, 16.05), (106.70, 10.78), (104.75, 8.60), (103.0, 22.4)]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def point(x: float, y: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [x, y]}


def test_vn2000_to_wgs84_is_the_published_7_parameter_transformation_as_epsg_records_it() -> None:
    # EPSG's "VN-2000 to WGS 84 (2)": the parameters of Decision 05/2007/QD-BTNMT, coordinate frame
    group = TransformerGroup("EPSG:4756", "EPSG:4326", always_xy=True)
    epsg = next(t for t in group.transformers if "VN-2000 to WGS 84 (2)" in t.description)
    assert "x=-191.90441429" in epsg.definition and "convention=coordinate_frame" in epsg.definition
    vn2000 = SUPPORTED[OGC + "EPSG/0/4756"]
    for lon, lat in POINTS:
        ours = to_crs84(point(lat, lon), vn2000)["coordinates"]  # EPSG:4756 is latitude first
        assert metres(tuple(ours), epsg.transform(lon, lat)) < 0.01


def test_the_published_rotations_written_unchanged_into_towgs84_would_be_wrong_by_most_of_a_metre() -> None:
    # +towgs84 is position-vector: the coordinate-frame rotations enter it with their signs flipped
    literal = "+proj=longlat +ellps=WGS84 +towgs84=-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,0.252906278 +type=crs"  # noqa: E501
    wrong = Transformer.from_crs(literal, "OGC:CRS84", always_xy=True).transform(105.85, 21.03)
    right = to_crs84(point(21.03, 105.85), SUPPORTED[OGC + "EPSG/0/4756"])["coordinates"]
    assert metres(wrong, tuple(right)) > 0.5


@pytest.mark.parametrize(
    ("ours", "epsg"),
    [("EPSG:3405", "EPSG:3405"), ("EPSG:3406", "EPSG:3406"),
     ("VN-2000-TM3-105-00", "EPSG:5897"), ("VN-2000-TM3-107-45", "EPSG:5899"), ("VN-2000-TM3-108-00", "EPSG:5898")],
)  # fmt: skip
def test_projected_vn2000_positions_match_the_epsg_definitions_to_a_centimetre(ours: str, epsg: str) -> None:
    # EPSG:5897/5898/5899 are VN-2000 / TM-3 zones 482 (105°), 491 (108°) and Da Nang (107°45'), k=0.9999
    group = TransformerGroup("EPSG:4326", epsg, always_xy=True)
    reference = next(t for t in group.transformers if "VN-2000 to WGS 84 (2)" in t.description)
    crs = parse_crs(ours, "crs")
    for lon, lat in POINTS:
        x, y = transform_geometry(point(lon, lat), SUPPORTED[CRS84], crs)["coordinates"]
        ex, ey = reference.transform(lon, lat)
        assert abs(x - ex) < 0.01 and abs(y - ey) < 0.01


def test_every_province_has_a_tm3_zone_with_its_circular_973_meridian() -> None:
    assert len(TM3_MERIDIANS) == 63
    assert tm3_for_province("Hà Nội") is parse_crs("VN-2000-TM3-105-00", "crs")
    assert tm3_for_province("Đà Nẵng") is parse_crs("VN-2000-TM3-107-45", "crs")
    assert tm3_for_province("Lạng Sơn") is parse_crs("VN-2000-TM3-107-15", "crs")
    assert tm3_for_province("Atlantis") is None
    assert all("+k=0.9999" in parse_crs(f"urn:hydromet:crs:VN-2000-TM3-{int(m)}-{round(m % 1 * 60):02d}", "crs").proj
               for m in TM3_MERIDIANS.values())  # fmt: skip


def test_epsg_4326_is_latitude_first_and_crs84_longitude_first() -> None:
    lat_first = transform_geometry(point(105.85, 21.03), SUPPORTED[CRS84], parse_crs("EPSG:4326", "crs"))
    assert lat_first["coordinates"] == [21.03, 105.85]
    assert to_crs84(lat_first, parse_crs("http://www.opengis.net/def/crs/EPSG/0/4326", "crs")) == point(
        105.85, 21.03
    )


def test_round_trip_through_every_crs_stays_within_a_centimetre() -> None:
    for crs in SUPPORTED.values():
        for lon, lat in POINTS[:4]:
            there = transform_geometry(point(lon, lat), SUPPORTED[CRS84], crs)
            back = to_crs84(there, crs)["coordinates"]
            assert metres((lon, lat), tuple(back)) < 0.02, crs.uri


def test_a_projected_bbox_becomes_the_crs84_box_that_holds_it() -> None:
    w, s, e, n = bbox_to_crs84((770000, 1815000, 785000, 1830000), parse_crs("EPSG:3405", "crs"))
    assert w < 107.59 < e and s < 16.46 < n and e - w < 0.2


def test_an_unknown_crs_is_refused_naming_the_parameter() -> None:
    with pytest.raises(InvalidQuery) as err:
        parse_crs("EPSG:999999", "bbox-crs")
    assert err.value.extra["parameter"] == "bbox-crs" and CRS84 in err.value.extra["allowed"]
