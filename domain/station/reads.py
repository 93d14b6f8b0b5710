"""Station read use cases: one station, keyset pages, history and past states."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session

from domain.access.models import Principal
from domain.station import queries, read_queries
from domain.station.filters import StationFilter, decode_cursor, encode_cursor
from domain.station.models import RevisionPublic
from domain.station.service import StationNotFound


@dataclass(frozen=True)
class JsonPage:
    """A page of items already serialized to JSON (UTF-8 bytes) by the database, and the next cursor."""

    items: list[bytes]
    next_cursor: str | None


def get_station_json(
    session: Session, *, principal: Principal, station_id: uuid.UUID, geojson: bool = False
) -> tuple[str, int]:
    """Return one visible station as JSON text and its revision; StationNotFound also for hidden ones."""
    found = read_queries.select_station_json(session, station_id, principal, geojson=geojson)
    if found is None:
        raise StationNotFound(f"no station {station_id}", station_id=str(station_id))
    return found


def list_stations(
    session: Session,
    *,
    principal: Principal,
    filters: StationFilter,
    cursor: str | None,
    limit: int,
    geojson: bool,
) -> JsonPage:
    """Return one keyset page of visible stations matching the filters."""
    after = decode_cursor(cursor) if cursor else None
    rows = read_queries.select_station_page_rows(
        session, filters, principal, after=after, limit=limit, geojson=geojson
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return JsonPage(
        items=[r[1] for r in rows], next_cursor=encode_cursor(rows[-1][0]) if more and rows else None
    )


def count_stations(session: Session, *, principal: Principal, filters: StationFilter) -> int:
    """Return how many visible stations match."""
    return read_queries.count_stations(session, filters, principal)


def station_history(
    session: Session, *, principal: Principal, station_id: uuid.UUID, after: int, limit: int
) -> tuple[list[RevisionPublic], int | None]:
    """Return a page of revisions (who, when, why, what changed) and the next `after` value."""
    get_station_json(session, principal=principal, station_id=station_id)
    revisions = queries.select_revisions(session, station_id, after=after, limit=limit)
    more = len(revisions) > limit
    items = [RevisionPublic.model_validate(r, from_attributes=True) for r in revisions[:limit]]
    return items, (items[-1].revision if more else None)


def station_as_of(
    session: Session, *, principal: Principal, station_id: uuid.UUID, at: datetime
) -> dict[str, Any]:
    """Return the state a station had at `at` (StationNotFound if it did not exist yet)."""
    get_station_json(session, principal=principal, station_id=station_id)
    revision = queries.select_state_as_of(session, station_id, at)
    if revision is None:
        raise StationNotFound(
            f"station {station_id} did not exist at {at.isoformat()}", station_id=str(station_id)
        )
    return dict(revision.state)


def station_sql(*, geojson: bool) -> ColumnElement[Any]:
    """Return the SQL expression of one station as API JSON (or a GeoJSON Feature), for other contexts' reads."""
    return read_queries.station_feature() if geojson else read_queries.station_json()


def station_cql_columns() -> dict[str, ColumnElement[Any]]:
    """Return the station column of each queryable, for other contexts' filtered reads."""
    return read_queries.cql_columns()
