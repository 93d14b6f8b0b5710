"""Stored zones (station.zones): every station write and every zone edit keeps them equal to the geometry."""

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from domain.access.models import SYSTEM, Role
from domain.station.models import StationUpdate
from domain.station.reads import get_station_json
from domain.station.service import update_station
from domain.zone.models import ZoneUpdate
from domain.zone.service import delete_zone, update_zone
from tests.factories import make_key, make_station
from tests.factories_imports import post_csv, to_csv
from tests.factories_zones import SEA_SQUARE, make_zone, square

# Spatial membership worked out from the zone parts, as every read computed it before the column.
COMPUTED = text("""
SELECT s.id, s.zones::text[], coalesce((SELECT array_agg(DISTINCT p.zone_code)::text[] FROM priority_zone_part p
  WHERE ST_Intersects(p.geom, s.location)), '{}')
FROM station s
""")
ROW = text("SELECT zones::text[], revision, updated_at, xmin::text FROM station WHERE id = :id")


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _assert_stored_zones_match_geometry(db: Session) -> None:
    wrong = [(sid, stored, computed) for sid, stored, computed in db.execute(COMPUTED) if stored != computed]
    assert wrong == []


def _row(db: Session, station_id: uuid.UUID) -> tuple[list[str], int, Any, str]:
    zones, revision, updated_at, xmin = db.execute(ROW, {"id": station_id}).one()
    return list(zones), int(revision), updated_at, str(xmin)


def test_creating_a_zone_lists_it_on_the_stations_inside_only(db: Session) -> None:
    inside = make_station(db, location=_point(105.5, 20.5))
    outside = make_station(db, location=_point(106.6, 20.5))
    before_in, before_out = _row(db, inside.id), _row(db, outside.id)
    make_zone(db, code="test-stored-b")
    make_zone(db, code="test-stored-a", geometry=square((105.4, 20.4, 105.6, 20.6)))
    zones, revision, updated_at, _ = _row(db, inside.id)
    assert zones == ["test-stored-a", "test-stored-b"]  # sorted, as the spatial aggregate gave them
    assert (revision, updated_at) == before_in[1:3]  # no revision, no new updated_at for a zone edit
    assert _row(db, outside.id) == before_out  # not written at all
    assert json.loads(get_station_json(db, principal=SYSTEM, station_id=inside.id)[0])["zones"] == zones
    _assert_stored_zones_match_geometry(db)


def test_reshaping_a_zone_moves_its_code_between_stations_and_keeps_their_other_zones(db: Session) -> None:
    land = make_station(db, location=_point(105.5, 20.5))
    sea = make_station(db, location=_point(110.5, 12.5))
    make_zone(db, code="test-reshaped")
    make_zone(db, code="test-steady")
    untouched = _row(db, sea.id)
    assert _row(db, land.id)[0] == ["test-reshaped", "test-steady"] and untouched[0] == []
    update_zone(
        db,
        principal=SYSTEM,
        zone_id="test-reshaped",
        data=ZoneUpdate(geometry=square(SEA_SQUARE)),
        if_match=1,
    )
    assert _row(db, land.id)[0] == ["test-steady"]
    zones, revision, updated_at, _ = _row(db, sea.id)
    assert zones == ["test-reshaped"] and (revision, updated_at) == untouched[1:3]
    _assert_stored_zones_match_geometry(db)


def test_deleting_a_zone_removes_it_from_its_stations_only(db: Session) -> None:
    member = make_station(db, location=_point(105.5, 20.5))
    elsewhere = make_station(db, location=_point(110.5, 12.5))
    make_zone(db, code="test-deleted")
    make_zone(db, code="test-kept", geometry=square(SEA_SQUARE))
    kept = _row(db, elsewhere.id)
    delete_zone(db, principal=SYSTEM, zone_id="test-deleted")
    assert _row(db, member.id)[0] == [] and _row(db, member.id)[1] == 1
    assert _row(db, elsewhere.id) == kept and kept[0] == ["test-kept"]


def test_moving_a_station_changes_its_zones(db: Session) -> None:
    make_zone(db, code="test-land")
    make_zone(db, code="test-sea", geometry=square(SEA_SQUARE))
    station = make_station(db, location=_point(105.5, 20.5))
    assert station.zones == ["test-land"]
    update_station(
        db,
        principal=SYSTEM,
        station_id=station.id,
        data=StationUpdate(location=_point(110.5, 12.5)),
        if_match=1,
    )
    assert _row(db, station.id)[0] == ["test-sea"]
    history = db.execute(
        text("SELECT state FROM station_revision WHERE station_id = :id ORDER BY revision"),
        {"id": station.id},
    ).scalars()
    assert all("zones" not in state for state in history)  # a revision keeps the station's own data
    _assert_stored_zones_match_geometry(db)


def test_imported_stations_get_their_zones_when_created_and_when_moved(
    client: TestClient, db: Session
) -> None:
    make_zone(db, code="test-imported")
    admin = make_key(db, "NCHMF", Role.admin)
    row = {
        "national_code": "ZONE-IMP-1", "name": "Trạm nhập", "network": "national", "station_types": "rain_gauge",
        "automation": "manual", "status": "operational", "latitude": "20.5", "longitude": "105.5",
        "elevation_m": "", "wigos_ids": "", "owner": "NCHMF", "operator": "", "data_policy": "core",
        "river": "", "basin": "", "variables": "",
    }  # fmt: skip
    assert post_csv(client, admin, to_csv([row])).status_code == 200
    station_id = db.execute(text("SELECT id FROM station WHERE national_code = 'ZONE-IMP-1'")).scalar_one()
    assert _row(db, station_id)[0] == ["test-imported"]
    moved = row | {"latitude": "12.5", "longitude": "110.5"}
    assert post_csv(client, admin, to_csv([moved])).status_code == 200
    assert _row(db, station_id)[0] == []
    _assert_stored_zones_match_geometry(db)


def test_zone_filters_list_the_stations_inside_by_code_and_by_category(
    client: TestClient, db: Session
) -> None:
    make_zone(db, code="test-filter-land", category="coastal")
    make_zone(db, code="test-filter-sea", category="island", geometry=square(SEA_SQUARE))
    land = make_station(db, national_code="ZF-LAND", location=_point(105.5, 20.5))
    make_station(db, national_code="ZF-SEA", location=_point(110.5, 12.5))
    make_station(db, national_code="ZF-OUT", location=_point(107.0, 11.0))
    viewer = make_key(db, "MOT", Role.viewer)

    def codes(**params: str) -> list[str]:
        r = client.get("/api/v1/stations", params=params, headers=viewer)
        assert r.status_code == 200, r.text
        return [s["national_code"] for s in r.json()["items"]]

    assert codes(zone="test-filter-land") == ["ZF-LAND"]
    assert codes(zone_category="island") == ["ZF-SEA"]
    assert codes(zone="test-filter-land", zone_category="coastal") == ["ZF-LAND"]
    assert codes(zone="test-filter-land", zone_category="island") == []
    update_zone(
        db,
        principal=SYSTEM,
        zone_id="test-filter-land",
        data=ZoneUpdate(geometry=square(SEA_SQUARE)),
        if_match=1,
    )
    assert codes(zone="test-filter-land") == ["ZF-SEA"] and _row(db, land.id)[0] == []
