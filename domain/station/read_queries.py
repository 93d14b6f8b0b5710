"""Station read SQL: the JSON/GeoJSON built in the database for hot reads, filters, pages, one station."""

import uuid
from functools import cache, lru_cache
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.cql.queries import filter_condition
from domain.cql.rules import Filter
from domain.db.fetch import fetch_rows
from domain.db.spatial import degree_box, envelope, within_distance
from domain.station.filters import StationFilter
from domain.station.models import Station
from domain.station.rules import fold
from domain.wigos.elements import ELEMENTS, KNOWN_VARIABLES, present_count_sql
from domain.zone.models import PriorityZonePart

S = Station.__table__.c  # type: ignore[attr-defined]
ZP = PriorityZonePart.__table__.c  # type: ignore[attr-defined]


# The station as JSON is written as SQL text: a SQLAlchemy expression of ~80 nodes cost ~0.1 ms of
# CPU per request only to compute its cache key; a literal column's key is its (hashed once) text.
# `zones` is the stored list (migration 0011), not a spatial subquery per row (~45 us a row).
GEOMETRY = "CAST(ST_AsGeoJSON(station.location, 6) AS JSONB)"
HEAD = ("id", "national_code", "name", "network")
TAIL = (
    "legal_basis", "station_types", "automation", "status", "elevation_m", "wigos_ids", "owner", "operator",
    "data_policy", "province", "river", "basin", "variables", "established_date", "programmes", "wmo_region",
    "territory", "zones", "closed_date", "close_reason",
    "successor_id", "created_at", "updated_at", "revision",
)  # fmt: skip


def _pairs(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{n}', station.{n}" for n in names)


@cache
def station_json() -> ColumnElement[Any]:
    """Return the SQL expression of one station as the API's JSON object (a row of `station`)."""
    body = f"json_build_object({_pairs(HEAD)}, 'location', {GEOMETRY}, {_pairs(TAIL)})"
    return literal_column(body, type_=JSONB)


@cache
def station_feature() -> ColumnElement[Any]:
    """Return the SQL expression of one station as a GeoJSON Feature (a row of `station`)."""
    properties = f"json_build_object({_pairs(HEAD + TAIL)})"
    body = f"json_build_object('type', 'Feature', 'id', station.id, 'geometry', {GEOMETRY}, 'properties', {properties})"
    return literal_column(body, type_=JSONB)


# The stored zone lists (migration 0011, GIN index ix_station_zones) answer the zone filters: a zone
# as a constant the planner has statistics for, a category as the codes it holds. The spatial join
# they replace cost 0.05-1.9 s a page or count at 200k stations, this 4-165 ms (README, "Stored
# zones"). Stored lists are exact: every write and zone edit keeps them (domain/zone/queries.py).
IN_ZONE = text("station.zones @> ARRAY[CAST(:zone AS VARCHAR)]").bindparams(bindparam("zone", type_=String))
IN_CATEGORY = text(
    "station.zones && ARRAY(SELECT code FROM priority_zone WHERE category = CAST(:zone_category AS VARCHAR))"
).bindparams(bindparam("zone_category", type_=String))


def _zone_condition(code: bool, category: bool) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    if code:
        conditions.append(IN_ZONE)  # type: ignore[arg-type]
    if category:
        conditions.append(IN_CATEGORY)  # type: ignore[arg-type]
    return and_(*conditions)


# Station lists are built from named parameters: one statement per combination of filters, built
# once and reused with each request's values (building it and its cache key anew cost ~0.25 ms a
# request: bench/RESULTS.md). `filter_values` gives the values; their names select the conditions.
IN_LISTS = ("network", "automation", "status", "data_policy", "owner", "province")
BBOX = ("bbox_w", "bbox_s", "bbox_e", "bbox_n")
NEAR_BOX = ("near_w", "near_s", "near_e", "near_n")


def _like_pattern(text: str) -> str:
    """Return a LIKE pattern (escape character /) matching `text` anywhere."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def cql_columns() -> dict[str, ColumnElement[Any]]:
    """Return the column of each station queryable (domain.station.filters.STATION_QUERYABLES)."""
    names = ("national_code", "name", "network", "station_types", "automation", "status", "data_policy",
             "elevation_m", "owner", "operator", "province", "river", "basin", "created_at", "updated_at")  # fmt: skip
    return {n: S[n] for n in names} | {"geometry": S.location}


def cql_condition(checked: Filter) -> ColumnElement[bool]:
    """Return the SQL condition of a checked CQL2 filter on station rows (values bound, never inlined)."""
    return filter_condition(checked, cql_columns())


def filter_values(f: StationFilter) -> dict[str, Any]:
    """Return the named parameter values of a validated filter (the names choose the conditions)."""
    v: dict[str, Any] = {}
    if f.bbox:
        v.update(zip(BBOX, f.bbox, strict=True))
    if f.near and f.radius_km:
        lon, lat = f.near
        v.update(near_lon=lon, near_lat=lat, near_m=f.radius_km * 1000)
        box = degree_box(lon, lat, f.radius_km * 1000)
        if box is not None:
            v.update(zip(NEAR_BOX, box, strict=True))
    if f.zone:
        v["zone"] = f.zone
    if f.zone_category:
        v["zone_category"] = f.zone_category
    for name in IN_LISTS:
        if values := getattr(f, name):
            v[name] = list(values)
    if f.station_type:
        v["station_type"] = list(f.station_type)
    if f.wigos_id:
        v["wigos_id"] = [f.wigos_id]
    if f.q:
        v["q"] = _like_pattern(fold(f.q))
    if f.updated_since:
        v["updated_since"] = f.updated_since
    if f.completeness_below is not None:
        v.update(completeness_below=f.completeness_below, known_variables=list(KNOWN_VARIABLES))
    return v


def _number(name: str) -> Any:
    return bindparam(name, type_=Float)


@lru_cache(maxsize=512)
def filter_conditions(names: frozenset[str]) -> tuple[ColumnElement[bool], ...]:
    """Return the SQL conditions for the filter values with these names (see filter_values)."""
    c: list[ColumnElement[bool]] = []
    if "bbox_w" in names:
        c.append(_in_box(*(_number(n) for n in BBOX)))
    if "near_lon" in names:
        box = tuple(_number(n) for n in NEAR_BOX) if "near_w" in names else None
        c.append(
            within_distance(S.location, _number("near_lon"), _number("near_lat"), _number("near_m"), box)
        )
    if "zone" in names or "zone_category" in names:
        c.append(_zone_condition("zone" in names, "zone_category" in names))
    for name in IN_LISTS:
        if name in names:  # = ANY(array), not an expanding IN: the statement compiles once to plain SQL
            c.append(S[name] == any_(bindparam(name, type_=ARRAY(String))))
    if "station_type" in names:
        c.append(S.station_types.overlap(bindparam("station_type", type_=S.station_types.type)))
    if "wigos_id" in names:
        c.append(S.wigos_ids.contains(bindparam("wigos_id", type_=S.wigos_ids.type)))
    if "q" in names:
        c.append(S.search_text.like(bindparam("q", type_=String), escape="/"))
    if "updated_since" in names:
        c.append(S.updated_at >= bindparam("updated_since", type_=S.updated_at.type))
    if "completeness_below" in names:
        c.append(_completeness_below())
    return tuple(c)


def _in_box(w: Any, s: Any, e: Any, n: Any) -> ColumnElement[bool]:
    # A point intersects the box exactly when its coordinates are inside it: the same rows as
    # ST_Intersects, which PostGIS prices so high (cost 10000) that the planner sent a bbox page to
    # parallel workers rather than an index-only scan (bench/RESULTS.md, bbox page at 1M). `&&`
    # finds them in the GiST index (to float4 rounding); the coordinates make the test exact.
    inside: ColumnElement[bool] = and_(
        S.location.op("&&")(envelope((w, s, e, n))),
        func.ST_X(S.location).between(w, e),
        func.ST_Y(S.location).between(s, n),
    )
    return inside


def _completeness_below() -> ColumnElement[bool]:
    # score = present * 100 // total, so score < n exactly when present * 100 < n * total
    below: ColumnElement[bool] = text(
        f"{present_count_sql()} * 100 < CAST(:completeness_below AS integer) * {len(ELEMENTS)}"
    ).bindparams(
        bindparam("completeness_below", type_=Integer),
        bindparam("known_variables", type_=ARRAY(String)),
    )  # type: ignore[assignment]
    return below


def _visibility(principal: Principal) -> tuple[str, dict[str, Any]]:
    """Return which visibility condition applies to a principal, and its parameter."""
    if principal.has_national_powers:
        return "all", {}
    if principal.role in (Role.editor, Role.viewer) and principal.organization:
        return "open_or_own", {"org": principal.organization}
    return "open", {}


@lru_cache(maxsize=8)
def _visibility_condition(kind: str) -> ColumnElement[bool]:
    if kind == "all":
        return true()
    open_: ColumnElement[bool] = S.data_policy != "restricted"
    if kind == "open_or_own":
        org = bindparam("org", type_=String)
        return or_(open_, S.owner == org, S.operator == org)
    return open_


# Filters that collect every station of an area, to be sorted by code: their pages choose the keys
# first (an index-only scan of the covering idx_station_location, then a top-N sort of the codes),
# then build JSON from the rows of those keys alone (bench/RESULTS.md, bbox page at 1M).
SPATIAL = frozenset({"bbox_w"})


@lru_cache(maxsize=512)
def _page_statement(names: frozenset[str], kind: str, geojson: bool, keyed: bool) -> Select[Any]:
    return _build_page(names, kind, geojson, keyed, None)


def _build_page(
    names: frozenset[str], kind: str, geojson: bool, keyed: bool, cql: ColumnElement[bool] | None
) -> Select[Any]:
    body = func.cast(station_feature() if geojson else station_json(), type_=S.search_text.type)
    c = [_visibility_condition(kind), *filter_conditions(names), *([cql] if cql is not None else [])]
    if keyed:
        c.append(S.national_code > bindparam("after", type_=String))
    limit = bindparam("limit", type_=Integer)
    if not names & SPATIAL:
        return select(S.national_code, body.label("body")).where(*c).order_by(S.national_code).limit(limit)
    keys = (
        select(S.national_code.label("key")).where(*c).order_by(S.national_code).limit(limit).subquery("page")
    )
    joined = Station.__table__.join(keys, S.national_code == keys.c.key)  # type: ignore[attr-defined]
    return select(S.national_code, body.label("body")).select_from(joined).order_by(S.national_code)


def _compiled(stmt: Select[Any]) -> tuple[str, dict[str, Any]]:
    """Return a statement's SQL text for psycopg and the values of its constant parameters."""
    compiled = stmt.compile(dialect=PGDialect_psycopg())  # type: ignore[no-untyped-call]
    return compiled.string, {k: v for k, v in compiled.params.items() if v is not None}


@lru_cache(maxsize=512)
def _page_sql(names: frozenset[str], kind: str, geojson: bool, keyed: bool) -> tuple[str, dict[str, Any]]:
    """Return the page's SQL text and the values of its constant parameters (SRIDs, 'restricted')."""
    return _compiled(_page_statement(names, kind, geojson, keyed))


def station_page_sql(
    f: StationFilter, principal: Principal, *, after: str | None, limit: int, geojson: bool
) -> tuple[str, dict[str, Any]]:
    """Return the SQL of one keyset page (limit + 1 rows, to know if another follows) and its values.

    The SQL text is compiled once per combination of filters: a page is the hottest read, and
    SQLAlchemy's per-execution statement work was ~0.3 ms of it (bench/RESULTS.md).
    """
    values = filter_values(f)
    kind, who = _visibility(principal)
    if f.cql is not None:  # a filter's statement is its own: compiled per request, not cached
        stmt = _build_page(frozenset(values), kind, geojson, after is not None, cql_condition(f.cql))
        sql, constants = _compiled(stmt)
    else:
        sql, constants = _page_sql(frozenset(values), kind, geojson, after is not None)
    keyset = {"after": after} if after is not None else {}
    return sql, constants | values | who | keyset | {"limit": limit + 1}


def select_station_page_rows(
    session: Session, f: StationFilter, principal: Principal, *, after: str | None, limit: int, geojson: bool
) -> list[tuple[str, bytes]]:
    """Return (national_code, JSON as UTF-8 bytes) rows of one keyset page, limit + 1 of them at most."""
    sql, values = station_page_sql(f, principal, after=after, limit=limit, geojson=geojson)
    return cast(list[tuple[str, bytes]], fetch_rows(session, sql, values, text_as_bytes=True))


def count_stations(session: Session, f: StationFilter, principal: Principal) -> int:
    """Return how many stations match (for numberMatched)."""
    values = filter_values(f)
    kind, who = _visibility(principal)
    stmt = (
        select(func.count())
        .select_from(Station.__table__)  # type: ignore[attr-defined]
        .where(_visibility_condition(kind), *filter_conditions(frozenset(values)))
    )
    if f.cql is not None:
        stmt = stmt.where(cql_condition(f.cql))
    return int(session.execute(stmt, values | who).scalar_one())


def select_station_json(
    session: Session, station_id: uuid.UUID, principal: Principal, *, geojson: bool = False
) -> tuple[str, int] | None:
    """Return one station as JSON text with its revision, or None when missing or not visible.

    Compiled once per visibility and format, run on the driver's cursor as station pages are.
    """
    kind, who = _visibility(principal)
    sql, constants = _one_station_sql(kind, geojson)
    rows = fetch_rows(session, sql, constants | who | {"id": station_id}, prepare=True)
    return (str(rows[0][0]), int(rows[0][1])) if rows else None


@lru_cache(maxsize=16)
def _one_station_sql(kind: str, geojson: bool) -> tuple[str, dict[str, Any]]:
    body = station_feature() if geojson else station_json()
    stmt = select(func.cast(body, type_=S.search_text.type), S.revision)
    return _compiled(stmt.where(S.id == bindparam("id", type_=S.id.type), _visibility_condition(kind)))
