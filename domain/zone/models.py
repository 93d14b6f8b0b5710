"""Priority zones (Directive 10-CT/TW priority areas) and their subdivided parts."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Column, DateTime, ForeignKey, String, func
from sqlmodel import Field, SQLModel

from domain.db.clock import utcnow


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
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


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
