"""OGC API - Features use cases: pages and single features of the stations and zones collections.

numberMatched is given only when it is cheap: counting stops at NUMBER_MATCHED_CAP rows, and when
more match it is left out (OGC allows that), so a page never pays for counting a million stations.
A first page that holds every match is its own count.
"""

import uuid
from dataclasses import dataclass

from sqlmodel import Session

from domain.access.models import Principal
from domain.errors import NotFound
from domain.sharing import queries
from domain.sharing.ogc_docs import COLLECTIONS
from domain.sharing.rules import (
    Box,
    decode_token,
    encode_token,
    parse_limit,
    parse_ogc_bbox,
    parse_ogc_datetime,
)
from domain.sharing.service import reader_scope

NUMBER_MATCHED_CAP = 1_000


class CollectionNotFound(NotFound):
    code = "collection-not-found"
    title = "Collection not found"


class FeatureNotFound(NotFound):
    code = "feature-not-found"
    title = "Feature not found"


@dataclass(frozen=True)
class ItemsQuery:
    """The validated parameters of an items request."""

    boxes: list[Box] | None
    period: queries.Period | None
    after: str | None
    limit: int


@dataclass(frozen=True)
class ItemsPage:
    """A page of features as GeoJSON text, the next cursor, and numberMatched when cheap."""

    features: list[str]
    next_cursor: str | None
    number_matched: int | None


def check_collection(collection_id: str) -> str:
    """Return the collection id or raise CollectionNotFound."""
    if collection_id not in COLLECTIONS:
        raise CollectionNotFound(f"no collection '{collection_id}'; there are: {', '.join(COLLECTIONS)}")
    return collection_id


def parse_items_query(
    *,
    bbox: str | None,
    datetime_: str | None,
    cursor: str | None,
    limit: str | None,
    default: int,
    maximum: int,
) -> ItemsQuery:
    """Return the validated items parameters, or raise InvalidQuery naming the bad one."""
    after = decode_token(cursor, "cursor", 2)[1] if cursor else None
    return ItemsQuery(
        boxes=parse_ogc_bbox(bbox) if bbox is not None else None,
        period=parse_ogc_datetime(datetime_) if datetime_ is not None else None,
        after=after,
        limit=parse_limit(limit, default, maximum),
    )


def _count(session: Session, principal: Principal, collection_id: str, q: ItemsQuery) -> int | None:
    if collection_id == "zones":
        n = queries.count_zones_upto(session, boxes=q.boxes, period=q.period, cap=NUMBER_MATCHED_CAP)
    else:
        scope = reader_scope(session, principal)
        n = queries.count_stations_upto(
            session, scope, boxes=q.boxes, period=q.period, cap=NUMBER_MATCHED_CAP
        )
    return n if n < NUMBER_MATCHED_CAP else None


def list_items(session: Session, *, principal: Principal, collection_id: str, query: ItemsQuery) -> ItemsPage:
    """Return one page of a collection's features visible to the reader."""
    check_collection(collection_id)
    queries.for_short_queries(session)
    q = query
    if collection_id == "zones":
        stmt = queries.select_zone_page(after=q.after, limit=q.limit, boxes=q.boxes, period=q.period)
    else:
        scope = reader_scope(session, principal)
        stmt = queries.select_station_page(
            scope, after=q.after, limit=q.limit, geojson=True, boxes=q.boxes, period=q.period
        )
    rows = session.execute(stmt).all()
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    if q.after is None and not more:
        matched: int | None = len(rows)
    else:
        matched = _count(session, principal, collection_id, q)
    cursor = encode_token("o1", rows[-1][0]) if more else None
    return ItemsPage(features=[r[1] for r in rows], next_cursor=cursor, number_matched=matched)


def get_item(session: Session, *, principal: Principal, collection_id: str, feature_id: str) -> str:
    """Return one feature as GeoJSON text; FeatureNotFound alike for unseen, missing or malformed ids."""
    check_collection(collection_id)
    found: str | None = None
    if collection_id == "zones":
        found = queries.select_zone_text(session, feature_id)
    else:
        try:
            station_id = uuid.UUID(feature_id)
        except ValueError:
            station_id = None
        if station_id is not None:
            scope = reader_scope(session, principal)
            found = queries.select_station_text(session, scope, station_id, geojson=True)
    if found is None:
        raise FeatureNotFound(f"no feature '{feature_id}' in {collection_id}")
    return found
