"""Statistics: station counts by network, type, automation level and status, per province and owner."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import SessionDep, StaffDep, strict_query
from api.errors import problem_responses
from domain.equipment.models import StationStatistics
from domain.equipment.statistics import station_statistics

router = APIRouter(tags=["statistics"], dependencies=[Depends(strict_query)])


def _split(values: list[str]) -> list[str]:
    return [v.strip() for raw in values for v in raw.split(",") if v.strip()]


@router.get(
    "/statistics/stations",
    response_model=StationStatistics,
    responses=problem_responses(400, 401, 403),
    summary="Station counts overall, per province and per owner",
)
def station_counts(
    session: SessionDep, principal: StaffDep,
    owner: Annotated[list[str], Query(description="owner organization code(s)")] = [],  # noqa: B006
    province: Annotated[list[str], Query(description="province code(s)")] = [],  # noqa: B006
) -> StationStatistics:  # fmt: skip
    return station_statistics(session, principal=principal, owner=_split(owner), province=_split(province))
