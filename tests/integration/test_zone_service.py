"""Zone service on PostGIS: subdivided parts kept in step with the geometry, membership, geodesic areas."""

import math
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from domain.access.models import SYSTEM, Principal, Role
from domain.errors import AccessDenied
from domain.station.reads import get_station_json
from domain.zone.models import ZoneCreate, ZoneUpdate
from domain.zone.queries import SUBDIVIDE_MAX_VERTICES
from domain.zone.service import DuplicateZoneCode, create_zone, delete_zone, update_zone
from tests.factories import make_station
from tests.factories_zones import LAND_SQUARE, SEA_SQUARE, geodesic_area_km2, make_zone, square, zone_feature


def _parts(db: Session, code: str) -> list[tuple[int, float]]:
    rows = db.execute(
        text(
            "SELECT ST_NPoints(geom), ST_Area(geom::geography) / 1e6 FROM priority_zone_part "
            "WHERE zone_code = :code"
        ),
        {"code": code},
    )
    return [(int(n), float(a)) for n, a in rows]


def _zones_of(db: Session, station_id: Any) -> list[str]:
    import json

    text_, _ = get_station_json(db, principal=SYSTEM, station_id=station_id)
    return list(json.loads(text_)["zones"])


def _circle(lon: float, lat: float, radius_deg: float, n: int) -> dict[str, Any]:
    ring = [
        [lon + radius_deg * math.cos(2 * math.pi * i / n), lat + radius_deg * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def test_created_zone_has_its_geodesic_area_and_parts_covering_it(db: Session) -> None:
    zone = make_zone(db, code="test-area")
    db.refresh(zone)
    assert zone.area_km2 == pytest.approx(geodesic_area_km2(LAND_SQUARE), rel=1e-3)
    parts = _parts(db, "test-area")
    # The grid cuts run along parallels, which geography measures as geodesics: 1e-4 apart.
    assert len(parts) == 4 and sum(a for _, a in parts) == pytest.approx(zone.area_km2, rel=1e-4)


def test_large_zone_is_subdivided_into_small_parts(db: Session) -> None:
    make_zone(db, code="test-circle", geometry=_circle(110.5, 12.5, 1.2, 20_000))
    parts = _parts(db, "test-circle")
    assert len(parts) > 20
    assert max(n for n, _ in parts) <= SUBDIVIDE_MAX_VERTICES


def test_station_lists_the_zones_it_lies_in(db: Session) -> None:
    inside = make_station(db, location={"type": "Point", "coordinates": [105.5, 20.5]})
    outside = make_station(db, location={"type": "Point", "coordinates": [106.6, 20.5]})
    make_zone(db, code="test-member-a")
    make_zone(db, code="test-member-b", category="island")
    assert sorted(_zones_of(db, inside.id)) == ["test-member-a", "test-member-b"]
    assert _zones_of(db, outside.id) == []


def test_new_geometry_moves_membership_in_the_same_transaction(db: Session) -> None:
    station = make_station(db, location={"type": "Point", "coordinates": [105.5, 20.5]})
    make_zone(db, code="test-move")
    update_zone(
        db, principal=SYSTEM, zone_id="test-move", data=ZoneUpdate(geometry=square(SEA_SQUARE)), if_match=1
    )
    assert _zones_of(db, station.id) == []
    parts = _parts(db, "test-move")
    assert sum(a for _, a in parts) == pytest.approx(geodesic_area_km2(SEA_SQUARE), rel=1e-3)


def test_deleting_a_zone_removes_its_parts_and_memberships(db: Session) -> None:
    station = make_station(db, location={"type": "Point", "coordinates": [105.5, 20.5]})
    make_zone(db, code="test-gone")
    delete_zone(db, principal=SYSTEM, zone_id="test-gone")
    assert _parts(db, "test-gone") == [] and _zones_of(db, station.id) == []


def test_duplicate_code_is_refused(db: Session) -> None:
    make_zone(db, code="test-dup")
    with pytest.raises(DuplicateZoneCode):
        make_zone(db, code="test-dup")


def test_editor_may_not_create_zones(db: Session) -> None:
    editor = Principal(organization="MOT", role=Role.editor)
    with pytest.raises(AccessDenied):
        create_zone(db, principal=editor, data=ZoneCreate.model_validate(zone_feature()))


def test_multipolygon_land_area_counts_only_the_land_part(db: Session) -> None:
    geometry = {
        "type": "MultiPolygon",
        "coordinates": [square(LAND_SQUARE)["coordinates"], square(SEA_SQUARE)["coordinates"]],
    }
    zone = make_zone(db, code="test-land-sea", geometry=geometry)
    db.refresh(zone)
    assert zone.area_km2 == pytest.approx(
        geodesic_area_km2(LAND_SQUARE) + geodesic_area_km2(SEA_SQUARE), rel=1e-3
    )
    assert zone.land_area_km2 == pytest.approx(geodesic_area_km2(LAND_SQUARE), rel=1e-3)
