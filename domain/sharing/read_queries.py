"""The OGC and partner station reads' SQL: compiled once per scope shape, run on the driver's cursor.

As for the registry's pages (domain/station/read_queries.py, bench/RESULTS.md): a statement is built
and compiled once per combination of what a request asks (the scope's shape, boxes, period, sort,
keyset), its values are bound per request, and the JSON comes back as the database's UTF-8 bytes.
A CQL2 filter's statement is its own: compiled per request, not cached.
"""

import uuid
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    Text,
    and_,
    any_,
    bindparam,
    false,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlmodel import Session

from domain.db.fetch import fetch_rows
from domain.db.spatial import envelope
from domain.sharing.models import SharedStationTally, ShareGrant
from domain.sharing.rules import NEVER_SHARED_STATUS, RESTRICTED, SHAREABLE_POLICIES, Box, Scope, Sort
from domain.station.models import Station
from domain.station.reads import station_sql

S = Station.__table__.c  # type: ignore[attr-defined]
G = ShareGrant.__table__.c  # type: ignore[attr-defined]
Period = tuple[Any, Any]
# (policy "open" | "listed" | "none", networks, provinces, station_types): which conditions a scope needs
ScopeShape = tuple[str, bool, bool, bool]


def scope_shape(scope: Scope) -> tuple[ScopeShape, dict[str, Any]]:
    """Return the shape of a scope (which conditions apply) and the values they bind."""
    if scope.is_empty:
        return ("none", False, False, False), {}
    # "not restricted" when every shareable policy is in scope: the same rows, and the condition of
    # the partial index ix_station_shared_code, so the public pages scan it index-only
    policy = "open" if set(scope.data_policies) == set(SHAREABLE_POLICIES) else "listed"
    values: dict[str, Any] = {"data_policies": list(scope.data_policies)} if policy == "listed" else {}
    for name in ("networks", "provinces", "station_types"):
        if getattr(scope, name) is not None:
            values[name] = list(getattr(scope, name))
    shape = (policy, scope.networks is not None, scope.provinces is not None, scope.station_types is not None)
    return shape, values


def _strings(name: str) -> Any:
    return bindparam(name, type_=ARRAY(String))


@lru_cache(maxsize=64)
def _scope_condition(shape: ScopeShape) -> ColumnElement[bool]:
    policy, networks, provinces, types = shape
    if policy == "none":
        return false()
    c: list[ColumnElement[bool]] = [
        S.data_policy != RESTRICTED if policy == "open" else S.data_policy == any_(_strings("data_policies")),
        S.status != NEVER_SHARED_STATUS,
    ]
    if networks:
        c.append(S.network == any_(_strings("networks")))
    if provinces:
        c.append(S.province == any_(_strings("provinces")))
    if types:
        c.append(S.station_types.overlap(bindparam("station_types", type_=S.station_types.type)))
    return and_(*c)


def _compiled(stmt: Select[Any]) -> tuple[str, dict[str, Any]]:
    compiled = stmt.compile(dialect=PGDialect_psycopg())  # type: ignore[no-untyped-call]
    return compiled.string, {k: v for k, v in compiled.params.items() if v is not None}


def _box(i: int) -> tuple[Any, Any, Any, Any]:
    return tuple(bindparam(f"box{i}_{side}", type_=Float) for side in "wsen")  # type: ignore[return-value]


def box_values(boxes: list[Box] | None) -> dict[str, float]:
    """Return the bound values of bbox boxes (box0_w, box0_s, ...)."""
    return {
        f"box{i}_{side}": v for i, box in enumerate(boxes or []) for side, v in zip("wsen", box, strict=True)
    }


@lru_cache(maxsize=256)
def _keys(
    shape: ScopeShape, boxes: int, start: bool, end: bool, sort: Sort | None, keyed: bool
) -> Select[Any]:
    keys = select(S.national_code.label("key")).where(_scope_condition(shape))
    if boxes:  # for points the bounding-box operator is the test itself (to float4 rounding)
        keys = keys.where(or_(*(S.location.op("&&")(envelope(_box(i))) for i in range(boxes))))
    if start:
        keys = keys.where(S.updated_at >= bindparam("start", type_=S.updated_at.type))
    if end:
        keys = keys.where(S.updated_at <= bindparam("end", type_=S.updated_at.type))
    if keyed:
        after = bindparam("after", type_=String)
        if sort is None:
            keys = keys.where(S.national_code > after)
        else:
            column = S[sort.name]
            mark = tuple_(sql_cast(bindparam("after_value", type_=String), column.type), after)
            ahead = tuple_(column, S.national_code)
            keys = keys.where(ahead < mark if sort.descending else ahead > mark)
    return keys


def _order(sort: Sort | None) -> list[Any]:
    if sort is None:
        return [S.national_code]
    column, code = S[sort.name], S.national_code
    return [column.desc(), code.desc()] if sort.descending else [column, code]


PUBLIC_SHAPE: ScopeShape = ("open", False, False, False)
# the maintained count of the public scope (migration 0013): a sum over a few appended deltas
TALLY = select(func.sum(SharedStationTally.__table__.c.delta)).scalar_subquery()  # type: ignore[attr-defined]


def _page(keys: Select[Any], sort: Sort | None, geojson: bool, counted: bool = False) -> Select[Any]:
    """Return the page around its keys: limit + 1 keys first (narrow rows), then JSON for those alone.

    `counted` adds the maintained number of public-scope stations to each row (no scan of station).
    """
    page = keys.order_by(*_order(sort)).limit(bindparam("limit", type_=Integer)).subquery("page")
    body = sql_cast(station_sql(geojson=geojson), Text)
    sort_key = sql_cast(S[sort.name] if sort else S.national_code, String)
    joined = Station.__table__.join(page, S.national_code == page.c.key)  # type: ignore[attr-defined]
    columns = [S.national_code, body, sort_key] + ([TALLY] if counted else [])
    return select(*columns).select_from(joined).order_by(*_order(sort))


def _direct_page(keys: Select[Any], geojson: bool) -> Select[Any]:
    """Return the page in one index scan in code order: JSON for the first limit + 1 rows in scope.

    For all public stations unfiltered, nearly every row of the code index is in scope, so the keys
    gain nothing by being chosen first (bench/RESULTS.md, OGC API - Features).
    """
    body = sql_cast(station_sql(geojson=geojson), Text)
    page = keys.with_only_columns(S.national_code, body, sql_cast(S.national_code, String), TALLY)
    return page.order_by(S.national_code).limit(bindparam("limit", type_=Integer))


@lru_cache(maxsize=256)
def _page_sql(
    shape: ScopeShape, boxes: int, start: bool, end: bool, sort: Sort | None, keyed: bool, geojson: bool
) -> tuple[str, dict[str, Any]]:
    counted = shape == PUBLIC_SHAPE and not (boxes or start or end)
    keys = _keys(shape, boxes, start, end, sort, keyed)
    if counted and sort is None:
        return _compiled(_direct_page(keys, geojson))
    return _compiled(_page(keys, sort, geojson, counted))


def select_station_page_rows(
    session: Session, scope: Scope, *, after: str | None, limit: int, geojson: bool,
    boxes: list[Box] | None = None, period: Period | None = None,
    condition: ColumnElement[bool] | None = None, sort: Sort | None = None, after_value: str | None = None,
) -> list[tuple[Any, ...]]:  # fmt: skip
    """Return one keyset page (limit + 1 rows) of in-scope stations: (national_code, JSON bytes, sort key).

    Without filters in the public scope (or an agreement covering it), each row also carries the
    maintained number of matches, so numberMatched costs no count.

    The keys are chosen first from narrow rows (for the public scope, an index-only scan of
    ix_station_shared_code, which holds the location), then JSON is built for those rows alone.
    A sort other than the code pages on (sort column, code), so ties keep a stable order.
    """
    shape, values = scope_shape(scope)
    start, end = period or (None, None)
    form = (shape, len(boxes or ()), start is not None, end is not None, sort, after is not None)
    if condition is None:
        sql, constants = _page_sql(*form, geojson)
    else:
        sql, constants = _compiled(_page(_keys(*form).where(condition), sort, geojson))
    values |= box_values(boxes) | {"limit": limit + 1}
    values |= {k: v for k, v in (("start", start), ("end", end), ("after", after)) if v is not None}
    if after is not None and sort is not None:
        values["after_value"] = after_value
    return fetch_rows(session, sql, constants | values, text_as_bytes=True)


@lru_cache(maxsize=8)
def _one_sql(partner: bool, geojson: bool) -> tuple[str, dict[str, Any]]:
    body = sql_cast(station_sql(geojson=geojson), Text)
    stmt = select(body).where(S.id == bindparam("id", type_=S.id.type))
    if not partner:
        return _compiled(stmt.where(_scope_condition(("open", False, False, False))))
    # the agreement is read in the same statement: one round trip for a partner as for anyone
    grant = Station.__table__.join(ShareGrant.__table__, G.organization == bindparam("org", type_=String))  # type: ignore[attr-defined]
    return _compiled(stmt.select_from(grant).where(_grant_condition()))


def _grant_condition() -> ColumnElement[bool]:
    """Return the condition that a station is in the joined agreement's scope (as domain.sharing.rules.grant_scope)."""
    return and_(
        S.data_policy == any_(G.data_policies),
        S.data_policy != RESTRICTED,  # a stored restricted policy is dropped, never honoured
        S.status != NEVER_SHARED_STATUS,
        or_(G.networks.is_(None), S.network == any_(G.networks)),
        or_(G.provinces.is_(None), S.province == any_(G.provinces)),
        or_(G.station_types.is_(None), S.station_types.overlap(G.station_types)),
    )


def select_station_bytes(
    session: Session, station_id: uuid.UUID, *, organization: str | None, geojson: bool
) -> bytes | None:
    """Return one station as JSON bytes if it is in the public scope, or in the agreement of `organization`."""
    sql, constants = _one_sql(organization is not None, geojson)
    values = constants | {"id": station_id} | ({"org": organization} if organization is not None else {})
    rows = fetch_rows(session, sql, values, text_as_bytes=True, prepare=True)
    return bytes(rows[0][0]) if rows else None


GRANT_SQL = (
    "SELECT networks, station_types, provinces, data_policies, updated_at FROM share_grant "
    "WHERE organization = %(org)s"
)


def select_grant_row(session: Session, organization: str) -> tuple[Any, ...] | None:
    """Return an agreement's (networks, station_types, provinces, data_policies, updated_at), or None."""
    rows = fetch_rows(session, GRANT_SQL, {"org": organization})
    return rows[0] if rows else None
