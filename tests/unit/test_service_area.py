"""Where Viet Nam ends: real foreign stations fall outside the service area, Vietnamese ones inside."""

import csv
import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from domain.geo import in_service_area, service_area

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "geo"
SEED = Path(__file__).resolve().parents[2] / "seed" / "data"
NEIGHBOURS = SEED / "ne10m_admin0_neighbours.geojson"

# Stations that foreign lists file under another country but that stand on features of the Hoàng Sa and
# Trường Sa archipelagos or on Bạch Long Vĩ, which Viet Nam counts as its own.
VIETNAMESE_BY_VIETNAMESE_LAW = {
    "469010": "Woody Island (Phú Lâm, Hoàng Sa)",
    "599810": "Xisha Dao (Phú Lâm, Hoàng Sa)",
    "599850": "Sanhu Dao (Pattle, đảo Hoàng Sa)",
    "469020": "Itu Aba (Ba Bình, Trường Sa)",
    "599970": "Nansha Dao (Ba Bình, Trường Sa)",
    "599950": "Yongshujiao (Fiery Cross, đá Chữ Thập, Trường Sa)",
    "986020": "Nanshan Island (Lawak, đảo Vĩnh Viễn, Trường Sa)",
    "597380": "Dao-Bach-Long Island (Bạch Long Vĩ)",
}
# HE-KOU's position in ISD, rounded to the minute (22°30'N 103°57'E), lies on Viet Nam's side in both
# geoBoundaries and Natural Earth, 1.7 km from Lào Cai's (22°30'N 103°58'E): no rule about land can
# tell them apart, so the position, not the area, is what is wrong there.
ON_VIETNAMS_SIDE_OF_THE_LINE = {"569890"}


def neighbour_stations() -> list[dict[str, str]]:
    """Return the ISD rows of foreign stations around Viet Nam."""
    with (FIXTURES / "isd_history_neighbours_near_vietnam.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def vietnamese_stations() -> list[dict[str, str]]:
    """Return the seeded ISD rows of Viet Nam."""
    with (SEED / "isd_history_vietnam_stations.csv").open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def inside(row: dict[str, str]) -> bool:
    return in_service_area(float(row["LON"]), float(row["LAT"]))


def test_foreign_stations_near_vietnam_are_outside_except_on_vietnamese_islands() -> None:
    rows = neighbour_stations()
    accepted = {row["USAF"] for row in rows if inside(row)}
    assert len(rows) == 249
    assert accepted == set(VIETNAMESE_BY_VIETNAMESE_LAW) | ON_VIETNAMS_SIDE_OF_THE_LINE


@pytest.mark.parametrize(
    "usaf",
    [
        "596260",
        "594170",
        "569990",
        "489270",
        "489710",
        "489980",
        "489850",
        "485010",
        "485578",
        "598380",
        "599480",
    ]
    + ["964770", "990920"],
    ids=[
        "Dongxing",
        "Longzhou",
        "Malipo",
        "Viengsay",
        "Mondol Kiri",
        "Svay Rieng",
        "Kampot",
        "Khlong Yai",
        "Trat",
    ]
    + ["Dongfang, Hainan", "Sanya, Hainan", "Kudat, Sabah", "a platform in Thai waters"],
)
def test_stations_once_wrongly_accepted_are_outside(usaf: str) -> None:
    row = next(r for r in neighbour_stations() if r["USAF"] == usaf)
    assert not inside(row), row["STATION NAME"]


def test_every_seeded_vietnamese_isd_station_is_inside() -> None:
    outside = [row["STATION NAME"] for row in vietnamese_stations() if not inside(row)]
    assert outside == []


@pytest.mark.parametrize(
    "usaf",
    [
        "488030",
        "488380",
        "489170",
        "489180",
        "488390",
        "489200",
        "488600",
        "488920",
        "489160",
        "489190",
        "489070",
    ],
    ids=["Lào Cai", "Móng Cái", "Phú Quốc", "Côn Sơn", "Bạch Long Vĩ", "Trường Sa", "Hoàng Sa", "Song Tử Tây"]
    + ["Thổ Chu", "Huyền Trân platform", "Rạch Giá"],
)
def test_border_and_island_stations_stay_inside(usaf: str) -> None:
    row = next(r for r in vietnamese_stations() if r["USAF"] == usaf)
    assert inside(row), row["STATION NAME"]


def test_every_island_of_the_land_layer_stays_inside() -> None:
    islands = json.loads((SEED / "vn_islands_geoboundaries.geojson").read_text(encoding="utf-8"))["features"]
    points = [(f["properties"]["rep_lon"], f["properties"]["rep_lat"]) for f in islands]
    assert (
        len(points) == 43
    )  # Lý Sơn, Phú Quý, Cát Bà, the Kiên Giang islands off Hà Tiên, the archipelagos...
    assert [p for p in points if not in_service_area(*p)] == []


def _land() -> BaseGeometry:
    features = json.loads((SEED / "vn_national_boundary_geoboundaries_dissolved.geojson").read_text())[
        "features"
    ]
    return unary_union([shape(f["geometry"]) for f in features])


def _neighbours() -> BaseGeometry:
    features = json.loads(NEIGHBOURS.read_text())["features"]
    return unary_union([shape(f["geometry"]) for f in features if f["properties"]["role"] == "neighbour"])


def test_the_land_border_line_is_inside_and_foreign_land_a_kilometre_beyond_it_is_not() -> None:
    land, neighbours = _land(), _neighbours()
    border = land.boundary.intersection(neighbours.buffer(0.02))  # the land border, not the coast
    on_line = shapely.get_coordinates(shapely.segmentize(border, 0.01))
    beyond = neighbours.difference(land.buffer(0.01)).intersection(land.buffer(0.05))
    ring = shapely.get_coordinates(shapely.segmentize(beyond.boundary, 0.01))
    inland = [p for p in ring if land.distance(shapely.Point(p)) > 0.0095]
    assert len(on_line) > 1000 and len(inland) > 1000
    assert all(in_service_area(x, y) for x, y in on_line)
    assert not any(in_service_area(x, y) for x, y in inland)


def test_truong_sa_reaches_no_foreign_main_island() -> None:
    truong_sa = box(111.0, 6.0, 117.5, 12.0)  # the published extent, which holds Sabah's and Palawan's tips
    big = [p for p in shapely.get_parts(_neighbours()) if p.area > 0.01 and p.intersects(truong_sa)]
    assert len(big) >= 3  # Palawan, Balabac, Borneo, Banggi...
    assert all(service_area().intersection(p).area < 1e-6 for p in big)
