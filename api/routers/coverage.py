"""Coverage: per-zone summary against norms, uncovered areas, proposed sites, and the coverage norms."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from api.deps import SessionDep, StaffDep, strict_query
from api.errors import problem_responses
from api.responses import GeoJSONResponse
from api.routers.stations import etag, parse_if_match
from domain.coverage import service
from domain.coverage.models import (
    CoverageNormCreate,
    CoverageNormPublic,
    CoverageNormUpdate,
    CoverageSummary,
    GapFeature,
    ProposalCollection,
)

router = APIRouter(tags=["coverage"], dependencies=[Depends(strict_query)])
ERRORS = problem_responses(400, 401, 403, 404)
GEOJSON = "application/geo+json"

ZoneQ = Annotated[str | None, Query(description="a zone code")]
CategoryQ = Annotated[str | None, Query(description="a zone category; neither zone nor category = all zones")]
TypeQ = Annotated[str, Query(description="the station type whose coverage is measured")]
RadiusQ = Annotated[float | None, Query(description="km each station covers; default per station type")]
PlannedQ = Annotated[bool, Query(description="count planned stations too (test a scenario)")]


@router.get("/coverage/summary", response_model=CoverageSummary, responses=ERRORS)
def coverage_summary(
    session: SessionDep, principal: StaffDep, zone: ZoneQ = None, zone_category: CategoryQ = None,
    include_planned: PlannedQ = False,
) -> CoverageSummary:  # fmt: skip
    return service.coverage_summary(
        session,
        principal=principal,
        zone_id=zone,
        zone_category=zone_category,
        include_planned=include_planned,
    )


@router.get("/coverage/gaps", response_model=GapFeature, response_class=GeoJSONResponse, responses=ERRORS)
def coverage_gaps(
    session: SessionDep, principal: StaffDep, type: TypeQ, zone: ZoneQ = None,
    zone_category: CategoryQ = None, radius_km: RadiusQ = None, include_planned: PlannedQ = False,
) -> Response:  # fmt: skip
    gaps = service.find_coverage_gaps(
        session, principal=principal, station_type=type, zone_id=zone, zone_category=zone_category,
        radius_km=radius_km, include_planned=include_planned,
    )  # fmt: skip
    return Response(gaps.model_dump_json(), media_type=GEOJSON)


@router.get(
    "/coverage/proposals", response_model=ProposalCollection, response_class=GeoJSONResponse, responses=ERRORS
)
def coverage_proposals(
    session: SessionDep, principal: StaffDep, type: TypeQ,
    count: Annotated[int, Query(description="how many sites to propose (1-50)")] = 10,
    zone: ZoneQ = None, zone_category: CategoryQ = None, radius_km: RadiusQ = None,
    include_planned: PlannedQ = False,
) -> Response:  # fmt: skip
    sites = service.propose_sites(
        session, principal=principal, station_type=type, count=count, zone_id=zone,
        zone_category=zone_category, radius_km=radius_km, include_planned=include_planned,
    )  # fmt: skip
    return Response(sites.model_dump_json(), media_type=GEOJSON)


@router.get("/coverage-norms", response_model=list[CoverageNormPublic], responses=ERRORS)
def list_coverage_norms(session: SessionDep, _principal: StaffDep) -> list[CoverageNormPublic]:
    norms = service.list_coverage_norms(session)
    return [CoverageNormPublic.model_validate(n, from_attributes=True) for n in norms]


@router.post(
    "/coverage-norms",
    status_code=201,
    response_model=CoverageNormPublic,
    responses=ERRORS | problem_responses(409, 422),
)
def create_coverage_norm(
    session: SessionDep, principal: StaffDep, data: CoverageNormCreate, response: Response
) -> CoverageNormPublic:
    norm = service.create_coverage_norm(session, principal=principal, data=data)
    response.headers["ETag"] = etag(norm.revision)
    return CoverageNormPublic.model_validate(norm, from_attributes=True)


@router.get("/coverage-norms/{norm_id}", response_model=CoverageNormPublic, responses=ERRORS)
def get_coverage_norm(
    session: SessionDep, _principal: StaffDep, norm_id: int, response: Response
) -> CoverageNormPublic:
    norm = service.get_coverage_norm(session, norm_id=norm_id)
    response.headers["ETag"] = etag(norm.revision)
    return CoverageNormPublic.model_validate(norm, from_attributes=True)


@router.patch(
    "/coverage-norms/{norm_id}",
    response_model=CoverageNormPublic,
    responses=ERRORS | problem_responses(412, 422, 428),
)
def update_coverage_norm(
    session: SessionDep, principal: StaffDep, norm_id: int, data: CoverageNormUpdate, response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> CoverageNormPublic:  # fmt: skip
    expected = parse_if_match(if_match)
    norm = service.update_coverage_norm(
        session, principal=principal, norm_id=norm_id, data=data, if_match=expected
    )
    response.headers["ETag"] = etag(norm.revision)
    return CoverageNormPublic.model_validate(norm, from_attributes=True)


@router.delete("/coverage-norms/{norm_id}", status_code=204, responses=ERRORS)
def delete_coverage_norm(session: SessionDep, principal: StaffDep, norm_id: int) -> None:
    service.delete_coverage_norm(session, principal=principal, norm_id=norm_id)
