"""Coverage summary and norms: per zone area, stations by type, what each norm asks, and the deficit."""

import math

import pytest
from sqlmodel import Session

from domain.access.models import SYSTEM, Principal, Role
from domain.coverage.models import CoverageNormCreate, CoverageNormUpdate
from domain.coverage.rules import area_per_station, required_stations
from domain.coverage.service import (
    CoverageNormNotFound,
    DuplicateCoverageNorm,
    coverage_summary,
    create_coverage_norm,
    delete_coverage_norm,
    get_coverage_norm,
    update_coverage_norm,
)
from domain.errors import AccessDenied, PreconditionFailed, RuleViolation
from tests.factories import make_station
from tests.factories_zones import LAND_SQUARE, SEA_SQUARE, geodesic_area_km2, make_zone, square


def _norm(db: Session, **kw: object) -> int:
    body: dict[str, object] = {
        "station_type": "rain_gauge",
        "zone_category": "coastal",
        "source": "test",
    } | kw
    norm = create_coverage_norm(db, principal=SYSTEM, data=CoverageNormCreate.model_validate(body))
    return int(norm.id or 0)


def _at(lon: float, lat: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [lon, lat]}


def test_summary_counts_stations_by_type_and_compares_with_the_norms(db: Session) -> None:
    make_zone(db, code="test-square")
    rain = _norm(db, area_per_station_km2=900)
    synoptic = _norm(db, station_type="synoptic", spacing_km=100)
    make_station(db, location=_at(105.2, 20.2))
    make_station(db, location=_at(105.4, 20.4), station_types=["rain_gauge", "synoptic"])
    make_station(db, location=_at(105.6, 20.6), status="planned")
    make_station(db, location=_at(106.5, 20.5))  # outside the zone
    item = next(i for i in coverage_summary(db, principal=SYSTEM).items if i.zone_id == "test-square")
    area = geodesic_area_km2(LAND_SQUARE)
    assert item.area_km2 == pytest.approx(area, rel=1e-3) and item.land_area_km2 == pytest.approx(
        area, rel=1e-3
    )
    assert item.stations_by_type == {"rain_gauge": 2, "synoptic": 1} and item.stations_total == 2
    by_norm = {n.norm_id: n for n in item.norms}
    assert by_norm[rain].required == math.ceil(item.land_area_km2 / 900) == 13
    assert (by_norm[rain].present, by_norm[rain].deficit) == (2, 11)
    assert by_norm[synoptic].area_per_station_km2 == 10_000 and by_norm[synoptic].required == 2
    assert (by_norm[synoptic].present, by_norm[synoptic].deficit) == (1, 1)
    assert item.deficit == 12


def test_planned_stations_count_when_asked(db: Session) -> None:
    make_zone(db, code="test-square")
    make_station(db, location=_at(105.6, 20.6), status="planned")
    summary = coverage_summary(db, principal=SYSTEM, zone_id="test-square", include_planned=True)
    assert summary.include_planned and summary.items[0].stations_by_type == {"rain_gauge": 1}


def test_marine_norms_are_measured_on_the_sea_part_of_a_zone(db: Session) -> None:
    geometry = {
        "type": "MultiPolygon",
        "coordinates": [square(LAND_SQUARE)["coordinates"], square(SEA_SQUARE)["coordinates"]],
    }
    make_zone(db, code="test-land-sea", geometry=geometry)
    norm = _norm(db, station_type="marine", spacing_km=50)
    item = coverage_summary(db, principal=SYSTEM, zone_id="test-land-sea").items[0]
    status = next(n for n in item.norms if n.norm_id == norm)
    assert status.measured_on == "sea"
    assert status.measured_area_km2 == pytest.approx(geodesic_area_km2(SEA_SQUARE), rel=2e-3)
    assert status.required == math.ceil(status.measured_area_km2 / 2500)


def test_norms_of_other_categories_do_not_apply(db: Session) -> None:
    make_zone(db, code="test-square")
    _norm(db, zone_category="sea", station_type="marine", spacing_km=500)
    assert coverage_summary(db, principal=SYSTEM, zone_id="test-square").items[0].norms == []


def test_restricted_stations_are_not_counted_for_other_organizations(db: Session) -> None:
    make_zone(db, code="test-square")
    make_station(db, location=_at(105.5, 20.5), data_policy="restricted", owner="MOD")
    viewer = Principal(organization="MOT", role=Role.viewer)
    assert coverage_summary(db, principal=viewer, zone_id="test-square").items[0].stations_total == 0
    assert coverage_summary(db, principal=SYSTEM, zone_id="test-square").items[0].stations_total == 1


def test_required_stations_is_the_ceiling_and_ignores_slivers() -> None:
    assert area_per_station(200, None) == 40_000 and area_per_station(None, 25) == 25
    assert required_stations(40_001, 40_000) == 2
    assert required_stations(10, 40_000) == 1  # a small island still needs one
    assert required_stations(0.5, 40_000) == 0  # a sliver where two boundary sources disagree


def test_norms_are_created_changed_and_deleted_by_admins_only(db: Session) -> None:
    norm_id = _norm(db, spacing_km=30)
    with pytest.raises(DuplicateCoverageNorm):
        _norm(db, spacing_km=40)
    editor = Principal(organization="MOT", role=Role.editor)
    with pytest.raises(AccessDenied):
        update_coverage_norm(
            db, principal=editor, norm_id=norm_id, data=CoverageNormUpdate(spacing_km=5), if_match=1
        )
    with pytest.raises(PreconditionFailed):
        update_coverage_norm(
            db, principal=SYSTEM, norm_id=norm_id, data=CoverageNormUpdate(spacing_km=5), if_match=9
        )
    changed = update_coverage_norm(
        db, principal=SYSTEM, norm_id=norm_id, data=CoverageNormUpdate(area_per_station_km2=600), if_match=1
    )
    assert (changed.spacing_km, changed.area_per_station_km2, changed.revision) == (None, 600, 2)
    with pytest.raises(RuleViolation):
        update_coverage_norm(
            db,
            principal=SYSTEM,
            norm_id=norm_id,
            data=CoverageNormUpdate.model_validate({"source": None}),
            if_match=2,
        )
    delete_coverage_norm(db, principal=SYSTEM, norm_id=norm_id)
    with pytest.raises(CoverageNormNotFound):
        get_coverage_norm(db, norm_id=norm_id)
