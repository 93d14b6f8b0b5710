"""The one clock of the service: timezone-aware UTC."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, func
from sqlmodel import Field


def utcnow() -> datetime:
    """Return the current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def stamp_field() -> Any:
    """Return a model field for a moment: `timestamptz NOT NULL DEFAULT now()`, set to now when created.

    A function, as a Column belongs to one table only.
    """
    return Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
