"""Station tables and API schemas (the SQLModel ladder Base -> table -> Create/Update/Public)."""

import uuid
from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from geojson_pydantic import Point
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from domain.crs.rules import CRS84, SUPPORTED, parse_crs, to_crs84
from domain.db.clock import stamp_field
from domain.errors import InvalidQuery
from domain.station.enums import Automation, DataPolicy, Network, StationStatus, StationType
from domain.station.rules import check_programmes, check_wigos_ids

NATIONAL_CODE = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"


class Variable(BaseModel):
    """An observed variable and how often it is reported."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    interval_min: int | None = Field(default=None, gt=0, le=525_600)


def _check_point(point: Point) -> Point:
    lon, lat = point.coordinates[0], point.coordinates[1]
    if not -90 <= lat <= 90:
        raise ValueError(f"latitude {lat} is out of range [-90, 90]")
    if not -180 <= lon <= 180:
        raise ValueError(f"longitude {lon} is out of range [-180, 180]")
    return point


CRS_DESCRIPTION = (
    "CRS of `location` (default CRS84 lon/lat): e.g. EPSG:3405 (VN-2000 / UTM 48N, easting then "
    "northing), EPSG:4756 (VN-2000, latitude first), VN-2000-TM3-105-45 (a province's TM-3). "
    "The stored position is always WGS84."
)


def _document_crs(schema: dict[str, Any]) -> None:
    schema.setdefault("properties", {})["crs"] = {"type": "string", "description": CRS_DESCRIPTION}


def _location_to_crs84(data: Any) -> Any:
    """Return a body whose `location` given in `crs` is moved to CRS84; `crs` itself is not stored."""
    if not isinstance(data, dict) or "crs" not in data:
        return data
    data = dict(data)
    crs = data.pop("crs")
    if crs is None or not isinstance(data.get("location"), dict):
        return data
    data["crs"] = crs
    return _moved(data)


def _moved(data: dict[str, Any]) -> dict[str, Any]:
    try:
        source = parse_crs(str(data["crs"]), "crs")
    except InvalidQuery as exc:
        raise ValueError(exc.detail) from None
    data.pop("crs")
    if source.uri == CRS84:
        return data
    location = data["location"]
    coordinates = location.get("coordinates")
    if location.get("type") != "Point" or not isinstance(coordinates, list) or len(coordinates) < 2:
        return data  # the Point validator reports it
    try:
        moved = to_crs84({"type": "Point", "coordinates": coordinates}, source)
    except InvalidQuery as exc:
        raise ValueError(exc.detail) from None
    wgs84 = [round(c, SUPPORTED[CRS84].decimals) for c in moved["coordinates"][:2]] + coordinates[2:]
    return data | {"location": location | {"coordinates": wgs84}}


class StationFields(BaseModel):
    """Fields a client may write; shared by Create and Update."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_document_crs)
    national_code: str = Field(min_length=1, max_length=64, pattern=NATIONAL_CODE)
    name: str = Field(min_length=1, max_length=300)
    network: Network
    legal_basis: str | None = Field(default=None, max_length=500)
    station_types: list[StationType] = Field(min_length=1, max_length=11)
    automation: Automation
    status: StationStatus = StationStatus.operational
    location: Point
    elevation_m: float | None = Field(default=None, ge=-500, le=9000)
    wigos_ids: list[str] = Field(default_factory=list, max_length=10)
    owner: str | None = Field(default=None, max_length=32, description="Set by admins only")
    operator: str | None = Field(default=None, max_length=32)
    data_policy: DataPolicy = DataPolicy.core
    river: str | None = Field(default=None, max_length=200)
    basin: str | None = Field(default=None, max_length=200)
    variables: list[Variable] = Field(default_factory=list, max_length=100)
    established_date: date | None = Field(default=None, description="WMDR dateEstablished")
    programmes: list[str] = Field(
        default_factory=list, max_length=20, description="WMO programme/network affiliations (table 2-02)"
    )

    _point = field_validator("location")(_check_point)
    _crs = model_validator(mode="before")(_location_to_crs84)

    @field_validator("programmes")
    @classmethod
    def _valid_programmes(cls, value: list[str]) -> list[str]:
        try:
            return check_programmes(value)
        except Exception as exc:  # re-raised as a validation error with the field's pointer
            raise ValueError(str(exc)) from exc

    @field_validator("wigos_ids")
    @classmethod
    def _valid_wsis(cls, value: list[str]) -> list[str]:
        try:
            return check_wigos_ids(value)
        except Exception as exc:  # re-raised as a validation error with the field's pointer
            raise ValueError(str(exc)) from exc


class StationCreate(StationFields):
    """Body of POST /stations."""


class StationUpdate(BaseModel):
    """Body of PATCH /stations/{id}: every field optional, applied with exclude_unset."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_document_crs)
    national_code: str | None = Field(default=None, min_length=1, max_length=64, pattern=NATIONAL_CODE)
    name: str | None = Field(default=None, min_length=1, max_length=300)
    network: Network | None = None
    legal_basis: str | None = Field(default=None, max_length=500)
    station_types: list[StationType] | None = Field(default=None, min_length=1, max_length=11)
    automation: Automation | None = None
    status: StationStatus | None = None
    location: Point | None = None
    elevation_m: float | None = Field(default=None, ge=-500, le=9000)
    wigos_ids: list[str] | None = Field(default=None, max_length=10)
    owner: str | None = Field(default=None, max_length=32)
    operator: str | None = Field(default=None, max_length=32)
    data_policy: DataPolicy | None = None
    river: str | None = Field(default=None, max_length=200)
    basin: str | None = Field(default=None, max_length=200)
    variables: list[Variable] | None = Field(default=None, max_length=100)
    established_date: date | None = None
    programmes: list[str] | None = Field(default=None, max_length=20)
    reason: str | None = Field(default=None, max_length=500, description="Why; kept in the history")

    _crs = model_validator(mode="before")(_location_to_crs84)
    _point = field_validator("location")(lambda v: v if v is None else _check_point(v))
    _wsis = field_validator("wigos_ids")(lambda v: v if v is None else StationFields._valid_wsis(v))
    _programmes = field_validator("programmes")(
        lambda v: v if v is None else StationFields._valid_programmes(v)
    )


class StationClose(BaseModel):
    """Body of DELETE /stations/{id}: closing keeps the record."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)
    closed_date: date | None = None
    successor_id: uuid.UUID | None = None


class StationPublic(StationFields):
    """A station as the API returns it."""

    model_config = ConfigDict(extra="ignore")
    id: uuid.UUID
    owner: str | None = None
    province: str | None = None
    wmo_region: str | None = Field(default=None, description="WMO region (table 3-01), from the position")
    territory: str | None = Field(default=None, description="territory (table 3-02), from the position")
    zones: list[str] = Field(default_factory=list)
    closed_date: date | None = None
    close_reason: str | None = None
    successor_id: uuid.UUID | None = None
    created_at: datetime
    updated_at: datetime
    revision: int


LOCATION_KEYS = ("national_code", "data_policy", "status", "location")


class Station(SQLModel, table=True):
    """The station table."""

    __tablename__ = "station"
    __table_args__ = (
        UniqueConstraint("national_code", name="uq_station_code"),
        Index(
            "ix_station_search_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        Index("ix_station_wigos_ids", "wigos_ids", postgresql_using="gin"),
        Index("ix_station_station_types", "station_types", postgresql_using="gin"),
        Index("ix_station_updated_at", "updated_at"),
        Index("ix_station_zones", "zones", postgresql_using="gin"),
        # sharing: keyset pages of what partners and the public may see, index-only (migration 0004)
        Index(
            "ix_station_shared_code",
            "national_code",
            postgresql_include=["location"],
            postgresql_where=text("data_policy <> 'restricted' AND status <> 'closed'"),
        ),
        # the spatial index covers a bbox page's keys: the stations in a box, their codes sorted
        # without a heap visit (location is included again: PostGIS's GiST keeps only a box of it);
        # the table is clustered on it by `hydromet db reorder` (migration 0012)
        Index(
            "idx_station_location",
            "location",
            postgresql_using="gist",
            postgresql_include=list(LOCATION_KEYS),
        ),
    )
    id: uuid.UUID = DbField(default_factory=uuid.uuid4, primary_key=True)
    national_code: str = DbField(max_length=64)
    name: str = DbField(max_length=300)
    search_text: str = DbField(sa_column=Column(Text, nullable=False))
    network: str = DbField(sa_column=Column(String(16), nullable=False, index=True))
    legal_basis: str | None = DbField(default=None, sa_column=Column(Text))
    station_types: list[str] = DbField(sa_column=Column(ARRAY(String(32)), nullable=False))
    automation: str = DbField(sa_column=Column(String(16), nullable=False, index=True))
    status: str = DbField(sa_column=Column(String(16), nullable=False, index=True))
    location: Any = DbField(sa_type=Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    elevation_m: float | None = None
    wigos_ids: list[str] = DbField(sa_column=Column(ARRAY(String(40)), nullable=False, server_default="{}"))
    owner: str = DbField(
        sa_column=Column(
            String(32), ForeignKey("organization.code", onupdate="CASCADE"), nullable=False, index=True
        )
    )
    operator: str | None = DbField(
        default=None, sa_column=Column(String(32), ForeignKey("organization.code", onupdate="CASCADE"))
    )
    data_policy: str = DbField(sa_column=Column(String(16), nullable=False, index=True))
    province: str | None = DbField(
        default=None, sa_column=Column(String(16), ForeignKey("province.code"), index=True)
    )
    river: str | None = None
    basin: str | None = None
    variables: list[dict[str, Any]] = DbField(sa_column=Column(JSONB, nullable=False, server_default="[]"))
    closed_date: date | None = DbField(default=None, sa_column=Column(Date))
    established_date: date | None = DbField(default=None, sa_column=Column(Date))
    # WIGOS elements 3-01 and 3-02, derived from the position like the province (never typed in)
    wmo_region: str | None = DbField(default=None, sa_column=Column(String(16)))
    territory: str | None = DbField(default=None, sa_column=Column(String(3)))
    programmes: list[str] = DbField(sa_column=Column(ARRAY(String(64)), nullable=False, server_default="{}"))
    # the priority zones the location lies in, kept by the write path and the zone service (migration 0011)
    zones: list[str] = DbField(
        default_factory=list, sa_column=Column(ARRAY(String(64)), nullable=False, server_default="{}")
    )
    close_reason: str | None = DbField(default=None, sa_column=Column(Text))
    successor_id: uuid.UUID | None = DbField(default=None, foreign_key="station.id")
    created_at: datetime = stamp_field()
    updated_at: datetime = stamp_field()
    revision: int = DbField(default=1)


class StationWigosId(SQLModel, table=True):
    """One WIGOS identifier, held by exactly one station (the primary key makes it unique)."""

    __tablename__ = "station_wigos_id"
    wsi: str = DbField(primary_key=True, max_length=40)
    station_id: uuid.UUID = DbField(
        sa_column=Column(ForeignKey("station.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    is_primary: bool = False


class StationRevision(SQLModel, table=True):
    """One change to a station: who, when, why, what changed and the full new state.

    `seq` orders the partners' change feed; `txid` lets the feed read only committed history.
    """

    __tablename__ = "station_revision"
    __table_args__ = (UniqueConstraint("station_id", "revision", name="uq_station_revision"),)
    seq: int | None = DbField(
        default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True)
    )
    station_id: uuid.UUID = DbField(
        sa_column=Column(ForeignKey("station.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    revision: int
    op: str = DbField(sa_column=Column(String(32), nullable=False))
    actor: str = DbField(max_length=200)
    organization: str | None = DbField(default=None, max_length=32)
    at: datetime = stamp_field()
    reason: str | None = DbField(default=None, sa_column=Column(Text))
    changes: dict[str, Any] = DbField(sa_column=Column(JSONB, nullable=False, server_default="{}"))
    state: dict[str, Any] = DbField(sa_column=Column(JSONB, nullable=False))
    approved_by: str | None = DbField(default=None, max_length=200)


class RevisionPublic(BaseModel):
    """A revision as /history lists it: `actor` made the change; `approved_by` the reviewer who approved it."""

    revision: int
    op: str
    actor: str
    organization: str | None
    approved_by: str | None = None
    at: datetime
    reason: str | None
    changes: dict[str, Any]
