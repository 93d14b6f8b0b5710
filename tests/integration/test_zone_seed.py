"""The seeded zones and coverage norms: real island stations fall in island zones, areas are geodesic."""

import json

import pytest
from pyproj import Geod
from shapely.geometry import shape
from sqlalchemy import text
from sqlmodel import Session

from domain.access.models import SYSTEM
from domain.station.reads import get_station_json
from domain.station.service import register_station
from seed import zones as seed_zones
from seed.stations import isd_stations
from tests.factories import make_org

ISLAND_STATIONS = {
    "ISD-489200": "island-truong-sa",  # Truong Sa
    "ISD-488920": "island-truong-sa",  # Song Tu Tay
    "ISD-488600": "island-hoang-sa",  # Hoang Sa (Pattle)
    "ISD-488390": "island-coastal",  # Bach Long Vi
    "ISD-489180": "island-coastal",  # Con Son
    "ISD-489170": "island-coastal",  # Phu Quoc
    "ISD-489160": "island-coastal",  # Tho Chu
}


@pytest.fixture
def seeded(db: Session) -> Session:
    seed_zones.load(db, lambda _line: None)
    return db


def _count(db: Session, table: str) -> int:
    return int(db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_real_island_stations_fall_in_their_island_zone(seeded: Session) -> None:
    make_org(seeded, "NCHMF")
    items = {item.data.national_code: item for item in isd_stations()[0]}
    for code, zone in ISLAND_STATIONS.items():
        station = register_station(seeded, principal=SYSTEM, data=items[code].data)
        zones = json.loads(get_station_json(seeded, principal=SYSTEM, station_id=station.id)[0])["zones"]
        assert zone in zones, (code, zones)


def test_offshore_platform_huyen_tran_is_at_sea(seeded: Session) -> None:
    make_org(seeded, "NCHMF")
    item = next(i for i in isd_stations()[0] if i.data.national_code == "ISD-489190")
    station = register_station(seeded, principal=SYSTEM, data=item.data)
    zones = json.loads(get_station_json(seeded, principal=SYSTEM, station_id=station.id)[0])["zones"]
    assert "sea-east-sea" in zones and not any(z.startswith("island-") for z in zones)


def test_seeded_zone_areas_match_an_independent_geodesic_computation(seeded: Session) -> None:
    geod = Geod(ellps="WGS84")
    stored = dict(seeded.execute(text("SELECT code, area_km2 FROM priority_zone")).all())
    features = seed_zones.zone_features()
    assert len(features) == 10 and set(stored) == {f["properties"]["code"] for f in features}
    for feature in features:
        area, _ = geod.geometry_area_perimeter(shape(feature["geometry"]))
        assert stored[feature["properties"]["code"]] == pytest.approx(abs(area) / 1e6, rel=1e-3)


def test_every_seeded_zone_has_parts_and_the_typhoon_zones_a_hazard(seeded: Session) -> None:
    rows = seeded.execute(
        text(
            "SELECT z.code, z.category, z.hazard, count(p.id) FROM priority_zone z "
            "LEFT JOIN priority_zone_part p ON p.zone_code = z.code GROUP BY 1, 2, 3"
        )
    ).all()
    assert all(n > 0 for _, _, _, n in rows)
    typhoon = {code: (category, hazard) for code, category, hazard, _ in rows if code.startswith("typhoon")}
    assert typhoon and all(v == ("disaster_prone", "typhoon") for v in typhoon.values())


def test_seeded_norms_cite_gbon_or_wmo_168_and_a_second_load_adds_nothing(seeded: Session) -> None:
    norms = seeded.execute(
        text("SELECT station_type, zone_category, spacing_km, source FROM coverage_norm")
    ).all()
    assert len(norms) == len(seed_zones.coverage_norms()) == 19
    assert all("GBON" in source or "WMO-No. 168" in source for *_, source in norms)
    spacing = {(t, c): s for t, c, s, _ in norms if s is not None}
    assert spacing[("synoptic", "coastal")] in (100, 200) and spacing[("marine", "sea")] == 500
    before = (
        _count(seeded, "priority_zone"),
        _count(seeded, "priority_zone_part"),
        _count(seeded, "coverage_norm"),
    )
    seed_zones.load(seeded, lambda _line: None)
    after = (
        _count(seeded, "priority_zone"),
        _count(seeded, "priority_zone_part"),
        _count(seeded, "coverage_norm"),
    )
    assert after == before
