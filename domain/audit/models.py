"""The audit event table (append-only) and its API schemas."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import BigInteger, Column, DateTime, Identity, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlmodel import Field, SQLModel


class AuditEvent(SQLModel, table=True):
    """One admin action: who, when, what, and the values before and after (never a key's secret or hash).

    Rows are only ever inserted: a trigger refuses UPDATE, DELETE and TRUNCATE (migration 0008).
    """

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now(), index=True)
    )
    actor: str = Field(sa_column=Column(String(200), nullable=False))
    actor_organization: str | None = Field(default=None, sa_column=Column(String(32), index=True))
    actor_role: str | None = Field(default=None, sa_column=Column(String(16)))
    actor_key_id: uuid.UUID | None = Field(default=None, sa_column=Column(PgUUID(as_uuid=True)))
    action: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    resource: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    resource_id: str = Field(sa_column=Column(String(200), nullable=False))
    organization: str | None = Field(default=None, sa_column=Column(String(32), index=True))
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))


class AuditEventPublic(BaseModel):
    """An audit event as GET /api/v1/audit shows it."""

    id: int
    at: datetime
    actor: str
    actor_organization: str | None
    actor_role: str | None
    actor_key_id: uuid.UUID | None
    action: str
    resource: str
    resource_id: str
    organization: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditFilter(BaseModel):
    """Filters of the audit list; every one optional, all combined with AND."""

    model_config = ConfigDict(extra="forbid")
    action: list[str] = []
    resource: list[str] = []
    actor: str | None = None
    organization: str | None = None
    since: datetime | None = None
    until: datetime | None = None
