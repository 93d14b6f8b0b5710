"""WIGOS tables and schemas: the register of delegated issue numbers and the ledger of issued identifiers."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Integer, String, Text
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from domain.db.clock import stamp_field


class WigosIssueNumber(SQLModel, table=True):
    """An issue number under issuer 704, delegated to an organization; retired ones are never reassigned."""

    __tablename__ = "wigos_issue_number"
    __table_args__ = (
        CheckConstraint("number BETWEEN 0 AND 65534", name="ck_wigos_issue_number_range"),
        CheckConstraint("next_local >= 0", name="ck_wigos_issue_number_next_local"),
    )
    number: int = DbField(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    organization: str = DbField(
        sa_column=Column(
            String(32), ForeignKey("organization.code", onupdate="CASCADE"), nullable=False, index=True
        )
    )
    network: str | None = DbField(default=None, sa_column=Column(String(200)))
    note: str | None = DbField(default=None, sa_column=Column(Text))
    assigned_at: datetime = stamp_field()
    assigned_by: str = DbField(max_length=200)
    retired_at: datetime | None = DbField(default=None, sa_column=Column(DateTime(timezone=True)))
    retired_by: str | None = DbField(default=None, max_length=200)
    # the lowest local number that may still be free: issuing starts its search here
    next_local: int = DbField(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))


class WigosIssuedId(SQLModel, table=True):
    """One identifier the registry issued or recorded: kept forever, so it is never issued twice."""

    __tablename__ = "wigos_issued_id"
    wsi: str = DbField(primary_key=True, max_length=40)
    issue_number: int | None = DbField(
        default=None, sa_column=Column(Integer, ForeignKey("wigos_issue_number.number"), index=True)
    )
    station_id: uuid.UUID = DbField(sa_column=Column(ForeignKey("station.id"), nullable=False, index=True))
    issued_at: datetime = stamp_field()
    issued_by: str = DbField(max_length=200)
    organization: str | None = DbField(default=None, max_length=32)


class IssueNumberCreate(BaseModel):
    """Body of POST /wigos/issue-numbers."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    number: int = Field(ge=0, le=65534, description="issue number under issuer 704")
    organization: str = Field(min_length=2, max_length=32)
    network: str | None = Field(default=None, max_length=200, description="the network it serves")
    note: str | None = Field(default=None, max_length=1000)


class IssueNumberPublic(BaseModel):
    """An entry of the register."""

    issuer: int
    number: int
    block: str = Field(description="0-704-<number>-*")
    organization: str
    network: str | None
    note: str | None
    assigned_at: datetime
    assigned_by: str
    retired_at: datetime | None
    retired_by: str | None
    issued: int = Field(description="identifiers issued in this block")


class WigosIdRequest(BaseModel):
    """Body of POST /stations/{station_id}/wigos-ids: nothing (the next free one), a block, or one identifier."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    issue_number: int | None = Field(default=None, ge=0, le=65534)
    wsi: str | None = Field(default=None, max_length=40, description="a requested identifier, checked")
    reason: str | None = Field(default=None, max_length=500)


class WigosIdIssued(BaseModel):
    """Answer of POST /stations/{station_id}/wigos-ids."""

    wsi: str
    station_id: uuid.UUID
    primary: bool
    issue_number: int | None
    issued_at: datetime
    issued_by: str
    wigos_ids: list[str]
    revision: int


class MissingElement(BaseModel):
    """A WIGOS element a station lacks: its key, WMO-No. 1192 number, name, and what to do."""

    element: str
    number: str
    name: str
    hint: str


class StationCompleteness(BaseModel):
    """GET /stations/{station_id}/completeness."""

    station_id: uuid.UUID
    score: int = Field(ge=0, le=100)
    elements: int = Field(description="elements measured")
    present: int
    oscar_ready: bool = Field(description="every element present: OSCAR/Surface would take the record")
    missing: list[MissingElement]


class ScoreBucket(BaseModel):
    """How many stations score in [from, to]."""

    model_config = ConfigDict(populate_by_name=True)
    low: int = Field(alias="from")
    high: int = Field(alias="to")
    stations: int


class ElementCount(MissingElement):
    """How many stations lack an element."""

    stations: int


class BlockingStation(BaseModel):
    """A station whose record OSCAR/Surface would refuse, with what it lacks ("<number> <element>")."""

    id: uuid.UUID
    national_code: str
    name: str
    owner: str
    province: str | None
    score: int
    missing: list[str]


class CompletenessSummary(BaseModel):
    """GET /completeness: the distribution of scores and the stations that block an OSCAR upload."""

    stations: int
    oscar_ready: int
    blocking: int
    distribution: list[ScoreBucket]
    missing_by_element: list[ElementCount]
    blocking_stations: list[BlockingStation] = Field(description="the lowest scores first, `limit` of them")
