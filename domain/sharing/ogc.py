"""OGC API - Features use cases: pages and single features of the stations and zones collections.

numberMatched is given only when it costs no second scan: a first page that holds every match is
its own count, and the number of all public stations (no bbox, datetime or filter; anonymous, or
an agreement covering all public data) is maintained by triggers (migration 0013) and given while
under NUMBER_MATCHED_CAP. Otherwise it is left out (OGC makes it optional).
"""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.cql.queries import filter_condition
from domain.cql.rules import Filter, Queryable, parse_filter
from domain.crs.rules import CRS84, SUPPORTED, Crs, bbox_to_crs84, parse_crs, to_crs84
from domain.errors import InvalidQuery, NotFound
from domain.sharing import queries, read_queries
from domain.sharing.ogc_docs import COLLECTIONS
from domain.sharing.rules import (
    Box,
    Sort,
    decode_token,
    encode_token,
    parse_limit,
    parse_ogc_bbox,
    parse_ogc_datetime,
    parse_sortby,
)
from domain.sharing.service import reader_scope
from domain.station.filters import STATION_QUERYABLES, parse_station_cql
from domain.station.reads import station_cql_columns

# The maintained number is given below this (as the capped count it replaces was): a client paging
# through a small collection learns its size; a large one is paged without it.
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
    cql: Filter | None = None
    sort: Sort | None = None
    after_value: str | None = None
    crs: Crs = SUPPORTED[CRS84]
    properties: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ItemsPage:
    """A page of features as GeoJSON text, the next cursor, and numberMatched when cheap."""

    features: list[bytes]
    next_cursor: str | None
    number_matched: int | None


def check_collection(collection_id: str) -> str:
    """Return the collection id or raise CollectionNotFound."""
    if collection_id not in COLLECTIONS:
        raise CollectionNotFound(f"no collection '{collection_id}'; there are: {', '.join(COLLECTIONS)}")
    return collection_id


ZONE_QUERYABLES: dict[str, Queryable] = {
    "code": Queryable("string", "Zone code"),
    "name": Queryable("string", "Zone name"),
    "category": Queryable("string", "Zone category",
                          ("disaster_prone", "climate_hotspot", "coastal", "sea", "island")),
    "hazard": Queryable("string", "Hazard of a disaster-prone zone"),
    "priority_weight": Queryable("number", "Priority weight"),
    "source": Queryable("string", "Where the zone comes from"),
    "area_km2": Queryable("number", "Area in km²"),
    "updated_at": Queryable("datetime", "When the zone last changed"),
    "geometry": Queryable("geometry", "Zone outline (multipolygon)"),
}  # fmt: skip


def queryables_of(collection_id: str) -> dict[str, Queryable]:
    """Return the properties a filter on this collection may name."""
    return STATION_QUERYABLES if check_collection(collection_id) == "stations" else ZONE_QUERYABLES


@dataclass(frozen=True)
class RawItemsQuery:
    """The items parameters as the query string gives them."""

    bbox: str | None = None
    bbox_crs: str | None = None
    datetime_: str | None = None
    cursor: str | None = None
    limit: str | None = None
    filter_: str | None = None
    filter_lang: str | None = None
    filter_crs: str | None = None
    sortby: str | None = None
    crs: str | None = None
    properties: str | None = None


def _boxes(raw: RawItemsQuery) -> list[Box] | None:
    if raw.bbox is None:
        if raw.bbox_crs is not None:
            raise InvalidQuery("bbox-crs needs a bbox", parameter="bbox-crs")
        return None
    if raw.bbox_crs is None:
        return parse_ogc_bbox(raw.bbox)
    crs = parse_crs(raw.bbox_crs, "bbox-crs")
    try:
        box = tuple(float(p) for p in raw.bbox.split(","))
    except ValueError:
        box = ()
    if len(box) != 4:
        raise InvalidQuery(f"bbox must be 4 numbers in {crs.uri}", parameter="bbox")
    return [bbox_to_crs84(box, crs)]  # type: ignore[arg-type]


def _filter(collection_id: str, raw: RawItemsQuery) -> Filter | None:
    if collection_id == "stations":
        return parse_station_cql(raw.filter_, lang=raw.filter_lang, crs=raw.filter_crs)
    if raw.filter_ is None:
        if raw.filter_lang is not None or raw.filter_crs is not None:
            raise InvalidQuery("filter-lang and filter-crs need a filter", parameter="filter")
        return None
    source = parse_crs(raw.filter_crs, "filter-crs") if raw.filter_crs else None
    convert = (lambda g: to_crs84(g, source)) if source and source.uri != CRS84 else None
    return parse_filter(
        raw.filter_, lang=raw.filter_lang, queryables=queryables_of(collection_id), to_wgs84=convert
    )


def _properties(collection_id: str, text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    known = set(queryables_of(collection_id)) - {"geometry"}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidQuery(
            f"properties: unknown {', '.join(unknown)}", parameter="properties", allowed=sorted(known)
        )
    return names


def _position(cursor: str, tag: str) -> tuple[str | None, str]:
    found, text = decode_token(cursor, "cursor", 2)
    try:
        value, code = json.loads(text)
    except ValueError:
        value, code = None, None
    if found != tag or not isinstance(code, str):
        raise InvalidQuery("cursor is not one this service gave out for this sortby", parameter="cursor")
    return value, code


def parse_items_query(collection_id: str, raw: RawItemsQuery, *, default: int, maximum: int) -> ItemsQuery:
    """Return the validated items parameters, or raise InvalidQuery naming the bad one."""
    sort = (
        parse_sortby(raw.sortby, queries.SORTABLE if collection_id == "stations" else ("code",))
        if raw.sortby
        else None
    )
    if collection_id == "zones" and sort is not None:
        raise InvalidQuery("zones are sorted by code only", parameter="sortby")
    after, after_value = None, None
    if raw.cursor:
        after_value, after = _position(raw.cursor, "s1" if sort else "o1")
    return ItemsQuery(
        boxes=_boxes(raw),
        period=parse_ogc_datetime(raw.datetime_) if raw.datetime_ is not None else None,
        after=after, limit=parse_limit(raw.limit, default, maximum), cql=_filter(collection_id, raw),
        sort=sort, after_value=after_value or None,
        crs=parse_crs(raw.crs, "crs") if raw.crs else SUPPORTED[CRS84],
        properties=_properties(collection_id, raw.properties),
    )  # fmt: skip


def parse_output_crs(text: str | None) -> Crs:
    """Return the CRS asked for with crs= (CRS84 when none), or raise InvalidQuery."""
    return parse_crs(text, "crs") if text else SUPPORTED[CRS84]


def _condition(collection_id: str, q: ItemsQuery) -> ColumnElement[bool] | None:
    if q.cql is None:
        return None
    columns = station_cql_columns() if collection_id == "stations" else queries.zone_columns()
    return filter_condition(q.cql, columns)


def _rows(session: Session, principal: Principal, collection_id: str, q: ItemsQuery) -> list[Any]:
    cond = _condition(collection_id, q)
    if collection_id == "zones":
        stmt = queries.select_zone_page(
            after=q.after, limit=q.limit, boxes=q.boxes, period=q.period, condition=cond
        )
        return [(code, text.encode(), code) for code, text in session.execute(stmt).all()]
    return read_queries.select_station_page_rows(
        session, reader_scope(session, principal), after=q.after, limit=q.limit, geojson=True,
        boxes=q.boxes, period=q.period, condition=cond, sort=q.sort, after_value=q.after_value,
    )  # fmt: skip


def list_items(session: Session, *, principal: Principal, collection_id: str, query: ItemsQuery) -> ItemsPage:
    """Return one page of a collection's features visible to the reader (one statement for stations).

    numberMatched only when it costs no count: a first page that holds every match, or, for all
    public stations unfiltered, the maintained tally.
    """
    check_collection(collection_id)
    q = query
    rows = _rows(session, principal, collection_id, q)
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    matched = len(rows) if q.after is None and not more else None
    if matched is None and rows and len(rows[0]) > 3 and rows[0][3] is not None:
        tally = int(rows[0][3])  # maintained (migration 0013), not counted
        matched = tally if tally < NUMBER_MATCHED_CAP else None
    cursor = None
    if more:
        last = rows[-1]
        cursor = encode_token("s1" if q.sort else "o1", json.dumps([last[2] if q.sort else None, last[0]]))
    return ItemsPage(features=[r[1] for r in rows], next_cursor=cursor, number_matched=matched)


def get_item(session: Session, *, principal: Principal, collection_id: str, feature_id: str) -> bytes:
    """Return one feature as GeoJSON (UTF-8); FeatureNotFound alike for unseen, missing or malformed ids.

    A station is one statement: the public scope, or for a partner its agreement read in the same SQL.
    """
    check_collection(collection_id)
    found: bytes | None = None
    if collection_id == "zones":
        text = queries.select_zone_text(session, feature_id)
        found = text.encode() if text is not None else None
    else:
        try:
            station_id = uuid.UUID(feature_id)
        except ValueError:
            station_id = None
        if station_id is not None:
            partner = principal.role is Role.partner and principal.organization is not None
            organization = principal.organization if partner else None
            found = read_queries.select_station_bytes(
                session, station_id, organization=organization, geojson=True
            )
    if found is None:
        raise FeatureNotFound(f"no feature '{feature_id}' in {collection_id}")
    return found
