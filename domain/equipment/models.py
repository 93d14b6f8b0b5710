"""Equipment tables and schemas: the kind code list and the items deployed at stations."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, String, Text, text
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from domain.db.clock import stamp_field
from domain.equipment.rules import EARLIEST_DATE, EquipmentStatus


class EquipmentType(SQLModel, table=True):
    """A kind of equipment (code list), with whether it observes automatically."""

    __tablename__ = "equipment_type"
    code: str = DbField(primary_key=True, max_length=64)
    name: str = DbField(max_length=300)
    name_vi: str | None = DbField(default=None, max_length=300)
    automatic: bool = DbField(sa_column=Column(Boolean, nullable=False))
    wmds_register: str | None = DbField(default=None, max_length=64)
    wmds_notation: str | None = DbField(default=None, max_length=32)
    source: str = DbField(sa_column=Column(Text, nullable=False))


class EquipmentItem(SQLModel, table=True):
    """An instrument at a station; removing it keeps the row (removed_date, status removed)."""

    __tablename__ = "equipment_item"
    __table_args__ = (
        Index(
            "uq_equipment_item_active_serial",
            "manufacturer",
            "serial_number",
            unique=True,
            postgresql_where=text("removed_date IS NULL AND serial_number IS NOT NULL"),
        ),
    )
    id: uuid.UUID = DbField(default_factory=uuid.uuid4, primary_key=True)
    station_id: uuid.UUID = DbField(sa_column=Column(ForeignKey("station.id"), nullable=False, index=True))
    kind: str = DbField(
        sa_column=Column(
            String(64), ForeignKey("equipment_type.code", onupdate="CASCADE"), nullable=False, index=True
        )
    )
    manufacturer: str = DbField(max_length=200)
    model: str | None = DbField(default=None, max_length=200)
    serial_number: str | None = DbField(default=None, max_length=100)
    firmware: str | None = DbField(default=None, max_length=100)
    installed_date: date = DbField(sa_column=Column(Date, nullable=False))
    removed_date: date | None = DbField(default=None, sa_column=Column(Date))
    status: str = DbField(sa_column=Column(String(16), nullable=False))
    notes: str | None = DbField(default=None, sa_column=Column(Text))
    revision: int = DbField(default=1)
    created_at: datetime = stamp_field()
    updated_at: datetime = stamp_field()


def _not_removed(value: EquipmentStatus | None) -> EquipmentStatus | None:
    if value is EquipmentStatus.removed:
        raise ValueError("status 'removed' is set by DELETE /equipment/{equipment_id}, not written")
    return value


class EquipmentCreate(BaseModel):
    """Body of POST /stations/{station_id}/equipment."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: str = Field(min_length=1, max_length=64)
    manufacturer: str = Field(min_length=1, max_length=200)
    model: str | None = Field(default=None, max_length=200)
    serial_number: str | None = Field(default=None, min_length=1, max_length=100)
    firmware: str | None = Field(default=None, max_length=100)
    installed_date: date = Field(ge=EARLIEST_DATE)
    status: EquipmentStatus = EquipmentStatus.operational
    notes: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(default=None, max_length=500, description="Why; kept in the history")

    _status = field_validator("status")(_not_removed)


class EquipmentUpdate(BaseModel):
    """Body of PATCH /equipment/{equipment_id}; `station_id` moves the item to another station."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    station_id: uuid.UUID | None = None
    manufacturer: str | None = Field(default=None, min_length=1, max_length=200)
    model: str | None = Field(default=None, max_length=200)
    serial_number: str | None = Field(default=None, min_length=1, max_length=100)
    firmware: str | None = Field(default=None, max_length=100)
    installed_date: date | None = Field(default=None, ge=EARLIEST_DATE)
    status: EquipmentStatus | None = None
    notes: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(default=None, max_length=500, description="Why; kept in the history")

    _status = field_validator("status")(_not_removed)


class EquipmentRemove(BaseModel):
    """Body of DELETE /equipment/{equipment_id}: the item is marked removed and kept."""

    model_config = ConfigDict(extra="forbid")
    removed_date: date | None = Field(default=None, ge=EARLIEST_DATE)
    reason: str | None = Field(default=None, max_length=500)


class EquipmentPublic(BaseModel):
    """An equipment item as the API returns it."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    station_id: uuid.UUID
    kind: str
    automatic: bool
    manufacturer: str
    model: str | None
    serial_number: str | None
    firmware: str | None
    installed_date: date = Field(ge=EARLIEST_DATE)
    removed_date: date | None
    status: str
    notes: str | None
    revision: int
    created_at: datetime
    updated_at: datetime


class EquipmentKindPublic(BaseModel):
    """An equipment kind of the code list."""

    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    name_vi: str | None
    automatic: bool
    wmds_register: str | None
    wmds_notation: str | None
    source: str


class CountGroup(BaseModel):
    """Station counts of one group (the whole registry, a province or an owner)."""

    total: int = 0
    by_network: dict[str, int] = Field(default_factory=dict)
    by_type: dict[str, int] = Field(default_factory=dict)
    by_automation: dict[str, int] = Field(default_factory=dict)
    by_status: dict[str, int] = Field(default_factory=dict)


class ProvinceCounts(CountGroup):
    province: str | None


class OwnerCounts(CountGroup):
    owner: str


class StationStatistics(CountGroup):
    """GET /statistics/stations: counts overall, per province and per owner."""

    by_province: list[ProvinceCounts] = Field(default_factory=list)
    by_owner: list[OwnerCounts] = Field(default_factory=list)
