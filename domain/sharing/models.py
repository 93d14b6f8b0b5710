"""Sharing agreements (what a partner may see) and per-day usage counts, with their API schemas."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Identity,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from domain.db.clock import stamp_field
from domain.station.enums import DataPolicy, Network, StationType


class ShareGrant(SQLModel, table=True):
    """One partner organization's sharing agreement; NULL lists mean "any"."""

    __tablename__ = "share_grant"
    organization: str = DbField(
        sa_column=Column(
            String(32),
            ForeignKey("organization.code", ondelete="CASCADE", onupdate="CASCADE"),
            primary_key=True,
        )
    )
    networks: list[str] | None = DbField(default=None, sa_column=Column(ARRAY(String(16))))
    station_types: list[str] | None = DbField(default=None, sa_column=Column(ARRAY(String(32))))
    provinces: list[str] | None = DbField(default=None, sa_column=Column(ARRAY(String(16))))
    data_policies: list[str] = DbField(sa_column=Column(ARRAY(String(16)), nullable=False))
    note: str | None = DbField(default=None, sa_column=Column(Text))
    created_at: datetime = stamp_field()
    updated_at: datetime = stamp_field()


class ShareUsage(SQLModel, table=True):
    """How many requests a partner organization made on one (UTC) day."""

    __tablename__ = "share_usage"
    organization: str = DbField(
        sa_column=Column(
            String(32),
            ForeignKey("organization.code", ondelete="CASCADE", onupdate="CASCADE"),
            primary_key=True,
        )
    )
    day: date = DbField(sa_column=Column(Date, primary_key=True))
    requests: int = DbField(sa_column=Column(BigInteger, nullable=False, server_default="0"))


class RateWindow(SQLModel, table=True):
    """Requests of one identity (a key id or a client address) in one minute; UNLOGGED, shared by all processes."""

    __tablename__ = "rate_window"
    __table_args__ = {"prefixes": ["UNLOGGED"]}
    identity: str = DbField(sa_column=Column(String(80), primary_key=True))
    window_no: int = DbField(sa_column=Column(BigInteger, primary_key=True))
    hits: int = DbField(sa_column=Column(Integer, nullable=False))


class FeedMark(SQLModel, table=True):
    """The change feed's horizon as the primary computed it (one row), replicated to hot standbys."""

    __tablename__ = "feed_mark"
    __table_args__ = (CheckConstraint("id = 1", name="ck_feed_mark_one_row"),)
    id: int = DbField(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    horizon: int = DbField(sa_column=Column(BigInteger, nullable=False, server_default="0"))
    marked_at: datetime = stamp_field()


class ShareGrantWrite(BaseModel):
    """Body of PUT /share/v1/agreements/{organization_id}: omitted or null lists mean "any"."""

    model_config = ConfigDict(extra="forbid")
    networks: list[Network] | None = Field(default=None, min_length=1)
    station_types: list[StationType] | None = Field(default=None, min_length=1)
    provinces: list[str] | None = Field(default=None, min_length=1, max_length=100)
    data_policies: list[DataPolicy] = Field(
        default=[DataPolicy.core, DataPolicy.recommended],
        min_length=1,
        description="core and/or recommended; restricted is never shared",
    )
    note: str | None = Field(default=None, max_length=1000)


class ShareGrantPublic(BaseModel):
    """A sharing agreement as the API returns it."""

    organization: str
    networks: list[str] | None
    station_types: list[str] | None
    provinces: list[str] | None
    data_policies: list[str]
    note: str | None
    created_at: datetime
    updated_at: datetime


class UsagePublic(BaseModel):
    """One partner's request count on one day."""

    organization: str
    day: date
    requests: int


class SharedStationTally(SQLModel, table=True):
    """Signed changes whose sum is the number of public-scope stations, appended by triggers on station."""

    __tablename__ = "shared_station_tally"
    id: int | None = DbField(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    delta: int = DbField(sa_column=Column(BigInteger, nullable=False))
