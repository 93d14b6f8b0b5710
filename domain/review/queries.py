"""All SQL of review: change requests by id (locked to decide), pages of them, the queue's state."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session, col

from domain.review.models import ChangeRequest

C = ChangeRequest.__table__.c  # type: ignore[attr-defined]


def insert_request(session: Session, request: ChangeRequest) -> None:
    """Add a change request (the caller commits)."""
    session.add(request)
    session.flush()


def select_request(session: Session, request_id: uuid.UUID, *, lock: bool = False) -> ChangeRequest | None:
    """Return a change request, locked until the transaction ends when `lock`."""
    stmt = select(ChangeRequest).where(col(ChangeRequest.id) == request_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalars().first()


def select_requests(
    session: Session,
    *,
    status: str | None,
    organization: str | None,
    station_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[ChangeRequest]:
    """Return up to limit + 1 requests, oldest first, after the keyset position `after`."""
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(C.status == status)
    if organization is not None:
        conditions.append(C.organization == organization)
    if station_id is not None:
        conditions.append(C.station_id == station_id)
    if after is not None:
        at, last = after
        conditions.append(or_(C.submitted_at > at, and_(C.submitted_at == at, C.id > last)))
    stmt: Any = select(ChangeRequest).where(*conditions).order_by(C.submitted_at, C.id).limit(limit + 1)
    return list(session.execute(stmt).scalars().all())


def select_queue(session: Session) -> tuple[int, datetime | None, datetime]:
    """Return the number of submitted requests, the oldest one's submission time, and the database's clock."""
    stmt = select(func.count(), func.min(C.submitted_at), func.clock_timestamp()).where(
        C.status == "submitted"
    )
    count, oldest, now = session.execute(stmt).one()
    return int(count), oldest, now
