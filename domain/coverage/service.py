"""Coverage use cases: stations serving a zone, per-zone summary against norms, gaps, proposals."""

import json
import logging
from dataclasses import replace
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.access.rules import require_role
from domain.coverage import queries, rules
from domain.coverage.models import (
    CoverageNorm,
    CoverageNormCreate,
    CoverageNormUpdate,
    CoverageSummary,
    GapFeature,
    GapProperties,
    NormStatus,
    ProposalCollection,
    ProposalFeature,
    ProposalProperties,
    ZoneCoverage,
)
from domain.coverage.queries import StationScope
from domain.db.clock import utcnow
from domain.errors import Conflict, InvalidQuery, NotFound, RuleViolation, check_revision
from domain.station import reads
from domain.station.enums import StationType
from domain.station.filters import StationFilter
from domain.zone import service as zone_service

log = logging.getLogger(__name__)


def _visibility(principal: Principal) -> tuple[bool, str | None]:
    """Return (sees everything, organization whose restricted stations it also sees)."""
    if principal.has_national_powers:
        return True, None
    if principal.role in (Role.editor, Role.viewer):
        return False, principal.organization
    return False, None


def _scope(principal: Principal, station_type: str, include_planned: bool) -> StationScope:
    if station_type not in StationType.__members__:
        allowed = sorted(StationType.__members__)
        raise InvalidQuery(
            f"type='{station_type}' is not one of: {', '.join(allowed)}", parameter="type", allowed=allowed
        )
    see_all, org = _visibility(principal)
    return StationScope(station_type, rules.statuses(include_planned), see_all, org)


def list_zone_stations(
    session: Session,
    *,
    principal: Principal,
    zone_id: str,
    filters: StationFilter,
    cursor: str | None,
    limit: int,
    geojson: bool,
) -> reads.JsonPage:
    """Return one page of the visible stations inside a zone, with the /stations filters."""
    if filters.zone and filters.zone != zone_id:
        raise InvalidQuery("the zone is given by the path; drop zone= or use /stations", parameter="zone")
    zone_service.get_zone(session, zone_id=zone_id)
    return reads.list_stations(
        session,
        principal=principal,
        filters=replace(filters, zone=zone_id),
        cursor=cursor,
        limit=limit,
        geojson=geojson,
    )


def _norm_status(norm: CoverageNorm, area_km2: float, land_km2: float, present: int) -> NormStatus:
    marine = rules.is_marine(norm.station_type)
    measured = max(0.0, area_km2 - land_km2) if marine else land_km2
    per_station = rules.area_per_station(norm.spacing_km, norm.area_per_station_km2)
    required = rules.required_stations(measured, per_station)
    return NormStatus(
        norm_id=int(norm.id or 0), station_type=norm.station_type, level=norm.level,
        spacing_km=norm.spacing_km, area_per_station_km2=per_station, source=norm.source,
        measured_on="sea" if marine else "land", measured_area_km2=round(measured, 3), required=required,
        present=present, deficit=max(0, required - present),
    )  # fmt: skip


def _zone_coverage(
    row: tuple[Any, ...], counts: dict[str | None, int], norms: list[CoverageNorm]
) -> ZoneCoverage:
    code, name, category, hazard, weight, area, land = row
    by_type = {str(t): n for t, n in sorted(counts.items(), key=lambda kv: str(kv[0])) if t is not None}
    statuses = [
        _norm_status(norm, area, land, by_type.get(norm.station_type, 0))
        for norm in norms
        if norm.zone_category == category
    ]
    return ZoneCoverage(
        zone_id=code, name=name, category=category, hazard=hazard, priority_weight=weight,
        area_km2=round(area, 3), land_area_km2=round(land, 3), stations_by_type=by_type,
        stations_total=counts.get(None, 0), norms=statuses,
        deficit=sum(s.deficit for s in statuses if s.level == "minimum"),
    )  # fmt: skip


def coverage_summary(
    session: Session,
    *,
    principal: Principal,
    zone_id: str | None = None,
    zone_category: str | None = None,
    include_planned: bool = False,
) -> CoverageSummary:
    """Return, per zone: area, stations by type, what each norm of its category asks, and the deficit."""
    codes = zone_service.zone_codes(session, zone_id=zone_id, category=zone_category)
    see_all, org = _visibility(principal)
    counts = queries.count_stations_in_zones(
        session, codes=codes, statuses=rules.statuses(include_planned), see_all=see_all, organization=org
    )
    norms = queries.select_norms(session)
    items = [
        _zone_coverage(row, counts.get(row[0], {}), norms) for row in queries.select_zone_rows(session, codes)
    ]
    return CoverageSummary(include_planned=include_planned, items=items)


def find_coverage_gaps(
    session: Session,
    *,
    principal: Principal,
    station_type: str,
    zone_id: str | None = None,
    zone_category: str | None = None,
    radius_km: float | None = None,
    include_planned: bool = False,
) -> GapFeature:
    """Return the part of the zone(s) farther than the radius from every counted station of the type."""
    scope = _scope(principal, station_type, include_planned)
    radius = rules.radius_for(station_type, radius_km)
    codes = zone_service.zone_codes(session, zone_id=zone_id, category=zone_category)
    rows = queries.part_stations(session, codes=codes, scope=scope, radius_m=radius * 1000, per_zone=False)
    cut = [rules.uncovered_part(r.wkb, r.xs, r.ys, radius * 1000) for r in rows]
    zone_area = rules.area_m2([part for part, _ in cut]) / 1e6
    uncovered = rules.area_m2([left for _, left in cut]) / 1e6
    geometry = queries.as_geojson(session, rules.union_wkb([left for _, left in cut]))
    props = GapProperties(
        zones=codes, station_type=station_type, radius_km=radius, include_planned=include_planned,
        zone_area_km2=round(zone_area, 3), uncovered_area_km2=round(uncovered, 3),
        uncovered_share=round(uncovered / zone_area, 6) if zone_area else 0.0,
        stations_counted=len({i for r in rows for i in r.station_ids}),
    )  # fmt: skip
    return GapFeature(geometry=json.loads(geometry), properties=props)


def _proposal_features(sites: list[rules.Site], lonlat: list[tuple[float, float]]) -> list[ProposalFeature]:
    return [
        ProposalFeature(
            geometry={"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            properties=ProposalProperties(
                rank=rank,
                added_area_km2=round(site.added_m2 / 1e6, 3),
                added_weighted_area_km2=round(site.weighted_m2 / 1e6, 3),
                zones=list(site.zones),
            ),
        )  # fmt: skip
        for rank, (site, (lon, lat)) in enumerate(zip(sites, lonlat, strict=True), start=1)
    ]


def propose_sites(
    session: Session,
    *,
    principal: Principal,
    station_type: str,
    count: int,
    zone_id: str | None = None,
    zone_category: str | None = None,
    radius_km: float | None = None,
    include_planned: bool = False,
) -> ProposalCollection:
    """Return up to `count` sites that newly cover the most priority-weighted uncovered area (greedy)."""
    scope = _scope(principal, station_type, include_planned)
    rules.check_count(count)
    radius_m = rules.radius_for(station_type, radius_km) * 1000
    codes = zone_service.zone_codes(session, zone_id=zone_id, category=zone_category)
    rows = queries.part_stations(session, codes=codes, scope=scope, radius_m=radius_m, per_zone=True)
    pieces = [
        rules.Piece(str(r.zone), r.weight, rules.uncovered_part(r.wkb, r.xs, r.ys, radius_m)[1]) for r in rows
    ]
    pieces = [p for p in pieces if p.geom.area > 0]
    marine = rules.is_marine(station_type)
    land = rules.polygons_from_wkb(queries.land_polygons(session))
    points = rules.candidate_points(rules.candidate_regions(pieces, land, marine=marine), radius_m)
    sites = rules.greedy_sites(pieces, points, radius_m, count)
    lonlat = queries.lonlat_of(session, [points[s.candidate] for s in sites])
    features = _proposal_features(sites, lonlat)
    summary = {
        "zones": codes, "station_type": station_type, "radius_km": radius_m / 1000, "count": count,
        "include_planned": include_planned, "placed_on": "sea" if marine else "land",
        "candidates": len(points), "uncovered_area_km2_summed_over_zones": rules.total_area_km2(pieces),
    }  # fmt: skip
    return ProposalCollection(features=features, properties=summary)


class CoverageNormNotFound(NotFound):
    code = "coverage-norm-not-found"
    title = "Coverage norm not found"


class DuplicateCoverageNorm(Conflict):
    code = "duplicate-coverage-norm"
    title = "A norm for this station type, zone category and level exists"


def list_coverage_norms(session: Session) -> list[CoverageNorm]:
    """Return every coverage norm."""
    return queries.select_norms(session)


def get_coverage_norm(session: Session, *, norm_id: int) -> CoverageNorm:
    """Return the norm or raise CoverageNormNotFound."""
    norm = queries.select_norm(session, norm_id)
    if norm is None:
        raise CoverageNormNotFound(f"no coverage norm {norm_id}", norm_id=norm_id)
    return norm


def _duplicate(data: CoverageNormCreate) -> DuplicateCoverageNorm:
    return DuplicateCoverageNorm(
        f"a {data.level} norm for {data.station_type} stations in {data.zone_category} zones exists already",
        station_type=data.station_type, zone_category=data.zone_category, level=data.level,
    )  # fmt: skip


def create_coverage_norm(session: Session, *, principal: Principal, data: CoverageNormCreate) -> CoverageNorm:
    """Add a coverage norm (admins only)."""
    require_role(principal, Role.admin)
    rules.check_measure(data.spacing_km, data.area_per_station_km2)
    if queries.select_norm_by_key(session, data.station_type, data.zone_category, data.level):
        raise _duplicate(data)
    norm = CoverageNorm.model_validate(data.model_dump())
    try:
        queries.insert_norm(session, norm)
    except IntegrityError as exc:
        session.rollback()
        raise _duplicate(data) from exc
    session.commit()
    return norm


def update_coverage_norm(
    session: Session, *, principal: Principal, norm_id: int, data: CoverageNormUpdate, if_match: int
) -> CoverageNorm:
    """Change a norm's measure, source or note (admins only); one measure replaces the other."""
    require_role(principal, Role.admin)
    norm = queries.lock_norm(session, norm_id)
    if norm is None:
        raise CoverageNormNotFound(f"no coverage norm {norm_id}", norm_id=norm_id)
    check_revision(f"coverage norm {norm_id}", norm.revision, if_match)
    changes = data.model_dump(exclude_unset=True)
    rules.check_measure(changes.get("spacing_km"), changes.get("area_per_station_km2"), partial=True)
    for name in ("source", "spacing_km", "area_per_station_km2"):
        if name in changes and changes[name] is None:
            raise RuleViolation(f"{name} cannot be null", pointer=f"#/{name}")
    if "spacing_km" in changes:
        norm.area_per_station_km2 = None
    if "area_per_station_km2" in changes:
        norm.spacing_km = None
    for name, value in changes.items():
        setattr(norm, name, value)
    norm.updated_at = utcnow()
    norm.revision += 1
    session.add(norm)
    session.commit()
    return norm


def delete_coverage_norm(session: Session, *, principal: Principal, norm_id: int) -> None:
    """Delete a norm (admins only)."""
    require_role(principal, Role.admin)
    queries.delete_norm(session, get_coverage_norm(session, norm_id=norm_id))
    session.commit()


def ensure_coverage_norm(session: Session, *, data: CoverageNormCreate) -> bool:
    """Add the norm if its key is new (for seeding; no commit); return True when added."""
    rules.check_measure(data.spacing_km, data.area_per_station_km2)
    if queries.select_norm_by_key(session, data.station_type, data.zone_category, data.level):
        return False
    queries.insert_norm(session, CoverageNorm.model_validate(data.model_dump()))
    return True
