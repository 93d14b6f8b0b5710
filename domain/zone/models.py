"""Priority zones (Directive 10-CT/TW priority areas), their subdivided parts, and API schemas."""

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from geoalchemy2 import Geometry
from pydantic import BaseModel, ConfigDict
from pydantic import Field as ApiField
from sqlalchemy import Column, Float, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from domain.db.clock import stamp_field
from domain.zone.rules import ZONE_CODE_PATTERN


class ZoneCategory(StrEnum):
    disaster_prone = "disaster_prone"
    climate_hotspot = "climate_hotspot"
    coastal = "coastal"
    sea = "sea"
    island = "island"


class Hazard(StrEnum):
    typhoon = "typhoon"
    flood = "flood"
    flash_flood = "flash_flood"
    landslide = "landslide"
    storm_surge = "storm_surge"
    drought = "drought"
    saline_intrusion = "saline_intrusion"


# Zone edits hold this transaction-level advisory lock (two int4 keys) exclusively while they rewrite
# a zone's parts and the stations' stored zone lists; station writers hold it shared from before their
# first row lock, so a station placed while a zone changes reads the zone's committed parts, and the
# two never wait for each other in opposite orders (migration 0011).
ZONE_EDIT_LOCK = (7040, 11)


class PriorityZone(SQLModel, table=True):
    __tablename__ = "priority_zone"
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=300)
    category: ZoneCategory = Field(sa_column=Column(String(32), nullable=False, index=True))
    hazard: Hazard | None = Field(default=None, sa_column=Column(String(32)))
    priority_weight: float = Field(default=1.0)
    source: str | None = Field(default=None)
    geom: Any = Field(sa_type=Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    area_km2: float = Field(default=0.0)
    land_area_km2: float = Field(default=0.0, sa_column=Column(Float, nullable=False, server_default="0"))
    created_at: datetime = stamp_field()
    updated_at: datetime = stamp_field()
    revision: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))


class PriorityZonePart(SQLModel, table=True):
    """A piece of a zone from ST_Subdivide, so point-in-zone tests stay fast for huge zones."""

    __tablename__ = "priority_zone_part"
    id: int | None = Field(default=None, primary_key=True)
    zone_code: str = Field(
        sa_column=Column(
            String(64), ForeignKey("priority_zone.code", ondelete="CASCADE", onupdate="CASCADE"), index=True
        )
    )
    geom: Any = Field(sa_type=Geometry("POLYGON", srid=4326, spatial_index=True), nullable=False)


class ZoneProperties(BaseModel):
    """The properties of a zone Feature a client writes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = ApiField(min_length=1, max_length=64, pattern=ZONE_CODE_PATTERN, description="a slug")
    name: str = ApiField(min_length=1, max_length=300)
    category: ZoneCategory
    hazard: Hazard | None = None
    priority_weight: float = ApiField(default=1.0, ge=0.01, le=100)
    source: str | None = ApiField(default=None, max_length=2000)


class ZoneCreate(BaseModel):
    """Body of POST /zones: a GeoJSON Feature with a Polygon or MultiPolygon in WGS84."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["Feature"]
    id: str | int | None = None
    bbox: list[float] | None = None
    geometry: dict[str, Any]
    properties: ZoneProperties


class ZonePropertiesUpdate(BaseModel):
    """Properties PATCH may change (the code is the zone's identity and stays)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = ApiField(default=None, min_length=1, max_length=300)
    category: ZoneCategory | None = None
    hazard: Hazard | None = None
    priority_weight: float | None = ApiField(default=None, ge=0.01, le=100)
    source: str | None = ApiField(default=None, max_length=2000)


class ZoneUpdate(BaseModel):
    """Body of PATCH /zones/{zone_id}: a partial Feature, applied with exclude_unset."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["Feature"] | None = None
    geometry: dict[str, Any] | None = None
    properties: ZonePropertiesUpdate | None = None


class ZonePublicProperties(ZoneProperties):
    """The properties of a zone as the API returns it."""

    model_config = ConfigDict(extra="ignore")
    area_km2: float
    land_area_km2: float = ApiField(description="the part on land (inside a province), km²")
    created_at: datetime
    updated_at: datetime
    revision: int


class ZonePublic(BaseModel):
    """A zone as the API returns it: a GeoJSON Feature (geometry null when not asked for)."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any] | None
    properties: ZonePublicProperties
