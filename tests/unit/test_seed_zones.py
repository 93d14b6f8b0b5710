"""The derived priority zones in seed/data/zones: shape, properties, and known places inside or outside."""

import csv
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, Point, shape
from shapely.geometry.base import BaseGeometry

from domain.geo import service_area
from seed.derive.zones_coast import coastal_province_names

DATA = Path(__file__).resolve().parents[2] / "seed" / "data"
ZONE_FILES = sorted((DATA / "zones").glob("*.geojson"))
CATEGORIES = {"disaster_prone", "climate_hotspot", "coastal", "sea", "island"}
ISLAND_STATIONS = {
    "489200": "Truong Sa",
    "488920": "Song Tu Tay",
    "488600": "Hoang Sa (Pattle)",
    "488390": "Bach Long Vi",
    "489180": "Con Son",
    "489170": "Phu Quoc",
    "489160": "Tho Chu",
}
HUYEN_TRAN = "489190"
COASTAL_PROVINCES = {
    "Quảng Ninh", "Hải Phòng", "Thái Bình", "Nam Định", "Ninh Bình", "Thanh Hóa", "Nghệ An", "Hà Tĩnh",
    "Quảng Bình", "Quảng Trị", "Thừa Thiên Huế", "Đà Nẵng", "Quảng Nam", "Quảng Ngãi", "Bình Định", "Phú Yên",
    "Khánh Hòa", "Ninh Thuận", "Bình Thuận", "Bà Rịa - Vũng Tàu", "TP. Hồ Chí Minh", "Tiền Giang", "Bến Tre",
    "Trà Vinh", "Sóc Trăng", "Bạc Liêu", "Cà Mau", "Kiên Giang",
}  # fmt: skip


@lru_cache
def features() -> tuple[dict[str, Any], ...]:
    return tuple(f for path in ZONE_FILES for f in json.loads(path.read_text(encoding="utf-8"))["features"])


@lru_cache
def zone(code: str) -> BaseGeometry:
    return next(shape(f["geometry"]) for f in features() if f["properties"]["code"] == code)


def zones_of(category: str) -> list[BaseGeometry]:
    return [shape(f["geometry"]) for f in features() if f["properties"]["category"] == category]


def station(usaf: str) -> Point:
    with (DATA / "isd_history_vietnam_stations.csv").open(encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["USAF"] == usaf)
    return Point(float(row["LON"]), float(row["LAT"]))


def test_zone_files_exist_and_stay_under_one_megabyte() -> None:
    assert {p.stem for p in ZONE_FILES} >= {"islands", "coastal", "sea", "typhoon"}
    for path in ZONE_FILES:
        assert path.stat().st_size < 1_000_000, path.name


def test_every_zone_is_a_valid_multipolygon_within_the_vertex_budget() -> None:
    for f in features():
        assert f["geometry"]["type"] == "MultiPolygon", f["properties"]["code"]
        geom = shape(f["geometry"])
        assert isinstance(geom, MultiPolygon)
        assert geom.is_valid and not geom.is_empty, f["properties"]["code"]
        coords = [c for poly in f["geometry"]["coordinates"] for ring in poly for c in ring]
        assert len(coords) <= 20_000
        assert all(round(v, 5) == v for c in coords for v in c)


def test_zone_properties_are_complete_and_codes_unique() -> None:
    codes = [f["properties"]["code"] for f in features()]
    assert len(codes) == len(set(codes))
    for f in features():
        props = f["properties"]
        assert set(props) == {"code", "name", "category", "hazard", "priority_weight", "source"}
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", props["code"])
        assert props["category"] in CATEGORIES
        assert (props["hazard"] is not None) == (props["category"] == "disaster_prone")
        assert 0 < props["priority_weight"] <= 1 and props["name"] and props["source"]


def test_every_zone_lies_inside_the_service_area() -> None:
    area = service_area().buffer(1e-4)
    for f in features():
        assert area.contains(shape(f["geometry"])), f["properties"]["code"]


@pytest.mark.parametrize("usaf", sorted(ISLAND_STATIONS))
def test_island_station_falls_inside_an_island_zone(usaf: str) -> None:
    point = station(usaf)
    assert any(z.contains(point) for z in zones_of("island")), ISLAND_STATIONS[usaf]


def test_archipelago_stations_fall_inside_their_own_archipelago() -> None:
    assert zone("island-hoang-sa").contains(station("488600"))
    assert zone("island-truong-sa").contains(station("489200"))
    assert zone("island-truong-sa").contains(station("488920"))


def test_huyen_tran_platform_falls_inside_a_sea_zone() -> None:
    assert any(z.contains(station(HUYEN_TRAN)) for z in zones_of("sea"))


def test_hanoi_is_not_in_the_coastal_strip() -> None:
    assert not zone("coastal-strip").contains(Point(105.85, 21.03))


def test_hai_phong_coast_is_in_the_coastal_strip() -> None:
    assert zone("coastal-strip").contains(Point(106.79, 20.71))  # Đồ Sơn


def test_coastal_strip_leaves_out_the_inland_delta_and_the_neighbours_land() -> None:
    strip = zone("coastal-strip")
    assert not strip.contains(Point(105.77, 10.05))  # Cần Thơ, on the Hậu river bank, 70 km from the sea
    assert not strip.contains(Point(108.30, 21.62))  # Fangchenggang, China, 25 km from Móng Cái
    assert not strip.contains(Point(104.18, 10.62))  # Kampot, Cambodia, 20 km from Phú Quốc


def test_bangkok_is_in_no_zone() -> None:
    bangkok = Point(100.5, 13.75)
    assert not any(shape(f["geometry"]).intersects(bangkok) for f in features())


def test_typhoon_zone_covers_the_often_hit_northern_and_central_coast() -> None:
    typhoon = zone("typhoon-exposure")
    assert typhoon.contains(Point(106.79, 20.71))  # Hải Phòng coast
    assert typhoon.contains(Point(107.3, 20.95))  # Quảng Ninh coast
    assert typhoon.contains(Point(106.62, 17.47))  # Đồng Hới, Quảng Bình
    assert not typhoon.contains(Point(106.70, 10.78))  # Hồ Chí Minh City: rarely hit


def test_very_high_typhoon_zone_lies_inside_the_high_one() -> None:
    assert zone("typhoon-exposure").buffer(1e-3).contains(zone("typhoon-exposure-very-high"))


def test_coastal_provinces_are_the_28_provinces_on_the_sea() -> None:
    names = set(coastal_province_names())
    assert names - {"Côn Đảo"} == COASTAL_PROVINCES
