"""Maintenance tables and schemas: norms (kind -> action -> interval, with source) and records."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from domain.db.clock import stamp_field
from domain.equipment.rules import EARLIEST_DATE
from domain.maintenance.rules import MaintenanceAction
from domain.station.enums import Automation, StationType


class MaintenanceNorm(SQLModel, table=True):
    """A maintenance norm ("dinh muc"): for a kind (and optionally a station type or automation level),
    an action every `interval_days`, with the document it comes from."""

    __tablename__ = "maintenance_norm"
    __table_args__ = (
        UniqueConstraint(
            "kind",
            "station_type",
            "automation",
            "action",
            name="uq_maintenance_norm_scope",
            postgresql_nulls_not_distinct=True,
        ),
        CheckConstraint("interval_days > 0", name="ck_maintenance_norm_interval_positive"),
    )
    id: int | None = DbField(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    kind: str = DbField(
        sa_column=Column(
            String(64), ForeignKey("equipment_type.code", onupdate="CASCADE"), nullable=False, index=True
        )
    )
    station_type: str | None = DbField(default=None, max_length=32)
    automation: str | None = DbField(default=None, max_length=16)
    action: str = DbField(sa_column=Column(String(16), nullable=False))
    interval_days: int
    source: str = DbField(sa_column=Column(Text, nullable=False))
    notes: str | None = DbField(default=None, sa_column=Column(Text))
    revision: int = DbField(default=1)
    updated_by: str = DbField(max_length=200)
    updated_at: datetime = stamp_field()


class MaintenanceRecord(SQLModel, table=True):
    """An action done on an equipment item on a date, by whom, at the station it was at."""

    __tablename__ = "maintenance_record"
    __table_args__ = (Index("ix_maintenance_record_last", "equipment_id", "action", "performed_on"),)
    id: uuid.UUID = DbField(default_factory=uuid.uuid4, primary_key=True)
    equipment_id: uuid.UUID = DbField(
        sa_column=Column(ForeignKey("equipment_item.id", ondelete="CASCADE"), nullable=False)
    )
    station_id: uuid.UUID = DbField(sa_column=Column(ForeignKey("station.id"), nullable=False, index=True))
    action: str = DbField(sa_column=Column(String(16), nullable=False))
    performed_on: date = DbField(sa_column=Column(Date, nullable=False))
    performed_by: str | None = DbField(default=None, max_length=200)
    notes: str | None = DbField(default=None, sa_column=Column(Text))
    recorded_by: str = DbField(max_length=200)
    organization: str | None = DbField(default=None, max_length=32)
    created_at: datetime = stamp_field()


class NormCreate(BaseModel):
    """Body of POST /norms (admins only)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: str = Field(min_length=1, max_length=64)
    station_type: StationType | None = None
    automation: Automation | None = None
    action: MaintenanceAction
    interval_days: int = Field(gt=0, le=36_500)
    source: str = Field(min_length=1, max_length=2000, description="Circular, standard or manual")
    notes: str | None = Field(default=None, max_length=2000)


class NormUpdate(BaseModel):
    """Body of PATCH /norms/{norm_id}: interval, source and notes (the scope is fixed)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    interval_days: int | None = Field(default=None, gt=0, le=36_500)
    source: str | None = Field(default=None, min_length=1, max_length=2000)
    notes: str | None = Field(default=None, max_length=2000)


class NormPublic(BaseModel):
    """A norm as the API returns it."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    station_type: str | None
    automation: str | None
    action: str
    interval_days: int
    source: str
    notes: str | None
    revision: int
    updated_by: str
    updated_at: datetime


class RecordCreate(BaseModel):
    """Body of POST /equipment/{equipment_id}/maintenance."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    action: MaintenanceAction
    performed_on: date = Field(ge=EARLIEST_DATE)
    performed_by: str | None = Field(default=None, min_length=1, max_length=200, description="Who did it")
    notes: str | None = Field(default=None, max_length=2000)


class RecordPublic(BaseModel):
    """A maintenance record as the API returns it."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    equipment_id: uuid.UUID
    station_id: uuid.UUID
    action: str
    performed_on: date
    performed_by: str | None
    notes: str | None
    recorded_by: str
    organization: str | None
    created_at: datetime


@dataclass(frozen=True)
class DueFilter:
    """The filters of GET /maintenance/due, already validated."""

    within_days: int = 0
    owner: list[str] = field(default_factory=list)
    province: list[str] = field(default_factory=list)
    station_id: uuid.UUID | None = None
