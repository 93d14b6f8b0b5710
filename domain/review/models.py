"""Change requests: the table and the API's shapes."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from domain.db.clock import stamp_field


class ChangeKind(StrEnum):
    create = "create"
    update = "update"
    close = "close"
    import_ = "import"


class ChangeStatus(StrEnum):
    submitted = "submitted"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"
    stale = "stale"


class ChangeRequest(SQLModel, table=True):
    """What an editor of an organization under review submitted instead of changing published state.

    `payload` is the request as submitted (a station body, a change, a closure, or an import's file
    name and options with `upload` holding the file); `diff` and `report` are what a reviewer reads.
    A new station's id is chosen at submission (`station_id`), and only written at approval.
    """

    __tablename__ = "change_request"
    __table_args__ = (Index("ix_change_request_queue", "status", "submitted_at", "id"),)
    id: uuid.UUID = DbField(default_factory=uuid.uuid4, primary_key=True)
    kind: str = DbField(sa_column=Column(String(16), nullable=False))
    status: str = DbField(sa_column=Column(String(16), nullable=False))
    organization: str = DbField(
        sa_column=Column(
            String(32), ForeignKey("organization.code", onupdate="CASCADE"), nullable=False, index=True
        )
    )
    station_id: uuid.UUID | None = DbField(default=None, index=True)
    base_revision: int | None = DbField(default=None, sa_column=Column(Integer))
    submitted_by: str = DbField(max_length=200)
    submitter_role: str = DbField(sa_column=Column(String(16), nullable=False))
    submitter_key_id: uuid.UUID | None = None
    submitted_at: datetime = stamp_field()
    payload: dict[str, Any] = DbField(sa_column=Column(JSONB, nullable=False))
    diff: list[dict[str, Any]] = DbField(sa_column=Column(JSONB, nullable=False, server_default="[]"))
    report: dict[str, Any] | None = DbField(default=None, sa_column=Column(JSONB))
    upload: bytes | None = DbField(default=None, sa_column=Column(LargeBinary))
    decided_by: str | None = DbField(default=None, max_length=200)
    decided_at: datetime | None = DbField(default=None, sa_column=Column(DateTime(timezone=True)))
    comment: str | None = DbField(default=None, sa_column=Column(Text))


class FieldChange(BaseModel):
    """One field of a change: its value in the base revision and the value asked for."""

    field: str
    before: Any
    after: Any


class ChangeRequestPublic(BaseModel):
    """A change request as the API returns it."""

    id: uuid.UUID
    kind: ChangeKind
    status: ChangeStatus
    organization: str
    station_id: uuid.UUID | None = Field(
        description="the station changed (for a new one: its id once approved)"
    )
    base_revision: int | None = Field(description="the station revision the change was made against")
    submitted_by: str
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    diff: list[FieldChange]
    report: dict[str, Any] | None = Field(
        None, description="an import's report: counts, the planned rows, the stations' base revisions"
    )


class Decision(BaseModel):
    """Body of approve and reject: a comment (required to reject)."""

    model_config = ConfigDict(extra="forbid")
    comment: str | None = Field(default=None, max_length=2000)


class QueueState(BaseModel):
    """The review queue as /metrics shows it."""

    submitted: int
    oldest_age_s: float
