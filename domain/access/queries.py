"""Access SQL: organizations and API keys."""

import uuid
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session, col

from domain.access.models import ApiKey, Organization


def select_organizations(session: Session) -> list[Organization]:
    """Return every organization, by code."""
    return list(session.scalars(select(Organization).order_by(Organization.code)))  # type: ignore[arg-type]


def select_key(session: Session, *, key_id: uuid.UUID | None, prefix: str | None) -> ApiKey | None:
    """Return the key with this id, or else with this public prefix."""
    condition = col(ApiKey.id) == key_id if key_id else col(ApiKey.prefix) == prefix
    key: ApiKey | None = session.scalars(select(ApiKey).where(condition)).first()  # type: ignore[call-overload]
    return key


def lock_key(session: Session, key_id: uuid.UUID) -> ApiKey | None:
    """Return the key with this id, locked until the transaction ends (two rotations cannot both win)."""
    stmt = select(ApiKey).where(col(ApiKey.id) == key_id).with_for_update()
    key: ApiKey | None = session.scalars(stmt).first()  # type: ignore[call-overload]
    return key


def select_key_row(session: Session, key_hash: str) -> tuple[Any, ...] | None:
    """Return (organization, role, id, expires_at, revoked_at) of a key hash: five columns, no ORM entity."""
    stmt = select(
        col(ApiKey.organization),
        col(ApiKey.role),
        col(ApiKey.id),
        col(ApiKey.expires_at),
        col(ApiKey.revoked_at),
    ).where(col(ApiKey.key_hash) == key_hash)
    row = session.execute(stmt).first()
    return tuple(row) if row is not None else None


REVOKED_CHANNEL = "hydromet_key_revoked"
LISTEN_REVOKED = "LISTEN hydromet_key_revoked"
NOTIFY_REVOKED = text("SELECT pg_notify(:channel, :key_id)")


def announce_revocation(session: Session, key_id: uuid.UUID) -> None:
    """Queue a notice of the key's revocation, delivered to every listener when the transaction commits."""
    session.execute(NOTIFY_REVOKED, {"channel": REVOKED_CHANNEL, "key_id": str(key_id)})
