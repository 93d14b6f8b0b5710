"""Coverage norms (table and schemas) and the shapes of coverage answers."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as ApiField
from sqlalchemy import CheckConstraint, Column, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.coverage.rules import AREA_PER_STATION_RANGE_KM2, SPACING_RANGE_KM
from domain.db.clock import stamp_field
from domain.numbers import FiniteOrNone
from domain.station.enums import StationType
from domain.zone.models import ZoneCategory


class NormLevel(StrEnum):
    minimum = "minimum"
    high_density = "high_density"


class CoverageNorm(SQLModel, table=True):
    """How dense a network of one station type should be in one zone category."""

    __tablename__ = "coverage_norm"
    __table_args__ = (
        UniqueConstraint("station_type", "zone_category", "level", name="uq_coverage_norm"),
        CheckConstraint(
            "num_nonnulls(spacing_km, area_per_station_km2) = 1", name="ck_coverage_norm_one_measure"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    station_type: str = Field(sa_column=Column(String(32), nullable=False))
    zone_category: str = Field(sa_column=Column(String(32), nullable=False))
    level: str = Field(sa_column=Column(String(16), nullable=False))
    spacing_km: float | None = None
    area_per_station_km2: float | None = None
    source: str = Field(sa_column=Column(Text, nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))
    revision: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    created_at: datetime = stamp_field()
    updated_at: datetime = stamp_field()


class CoverageNormCreate(BaseModel):
    """Body of POST /coverage-norms: give spacing_km or area_per_station_km2, not both."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    station_type: StationType
    zone_category: ZoneCategory
    level: NormLevel = NormLevel.minimum
    spacing_km: float | None = ApiField(default=None, ge=SPACING_RANGE_KM[0], le=SPACING_RANGE_KM[1])
    area_per_station_km2: float | None = ApiField(
        default=None, ge=AREA_PER_STATION_RANGE_KM2[0], le=AREA_PER_STATION_RANGE_KM2[1]
    )
    source: str = ApiField(min_length=1, max_length=2000, description="the regulation or guide it comes from")
    note: str | None = ApiField(default=None, max_length=2000)


class CoverageNormUpdate(BaseModel):
    """Body of PATCH /coverage-norms/{norm_id}; setting one measure clears the other."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    spacing_km: float | None = ApiField(default=None, ge=SPACING_RANGE_KM[0], le=SPACING_RANGE_KM[1])
    area_per_station_km2: float | None = ApiField(
        default=None, ge=AREA_PER_STATION_RANGE_KM2[0], le=AREA_PER_STATION_RANGE_KM2[1]
    )
    source: str | None = ApiField(default=None, min_length=1, max_length=2000)
    note: str | None = ApiField(default=None, max_length=2000)


class CoverageNormPublic(BaseModel):
    """A coverage norm as the API returns it."""

    id: int
    station_type: str
    zone_category: str
    level: str
    spacing_km: FiniteOrNone
    area_per_station_km2: FiniteOrNone
    source: str
    note: str | None
    revision: int
    created_at: datetime
    updated_at: datetime


class NormStatus(BaseModel):
    """What one norm asks of one zone, what the zone has, and what is missing."""

    norm_id: int
    station_type: str
    level: str
    spacing_km: FiniteOrNone
    area_per_station_km2: float
    source: str
    measured_on: Literal["land", "sea"] = ApiField(
        description="land types are counted per km² of land, marine per km² of sea"
    )
    measured_area_km2: float
    required: int
    present: int
    deficit: int


class ZoneCoverage(BaseModel):
    """One zone in the coverage summary."""

    zone_id: str
    name: str
    category: str
    hazard: str | None
    priority_weight: FiniteOrNone
    area_km2: float
    land_area_km2: float
    stations_by_type: dict[str, int]
    stations_total: int
    norms: list[NormStatus]
    deficit: int = ApiField(description="stations missing to meet the zone's minimum-level norms")


class CoverageSummary(BaseModel):
    """GET /coverage/summary."""

    include_planned: bool
    items: list[ZoneCoverage]


class GapProperties(BaseModel):
    """The numbers of a coverage-gap answer."""

    zones: list[str]
    station_type: str
    radius_km: float
    include_planned: bool
    zone_area_km2: float
    uncovered_area_km2: float
    uncovered_share: float
    stations_counted: int


class GapFeature(BaseModel):
    """GET /coverage/gaps: a GeoJSON Feature whose geometry is the uncovered area."""

    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any]
    properties: GapProperties


class ProposalProperties(BaseModel):
    """One proposed site and the area it would newly cover."""

    rank: int
    added_area_km2: float
    added_weighted_area_km2: float
    zones: list[str]


class ProposalFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any]
    properties: ProposalProperties


class ProposalCollection(BaseModel):
    """GET /coverage/proposals: the proposed sites, best first, as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ProposalFeature]
    properties: dict[str, Any]
