"""All station SQL: the JSON/GeoJSON built in the database for hot reads, filters, and writes."""

import uuid
from datetime import datetime
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
    delete,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from domain.access.models import Principal, Role
from domain.cql.queries import filter_condition
from domain.cql.rules import Filter
from domain.db.fetch import fetch_rows
from domain.db.spatial import as_geography, degree_box, envelope, point, within_distance
from domain.province.models import Province
from domain.station.filters import StationFilter
from domain.station.models import Station, StationRevision, StationWigosId
from domain.station.rules import fold
from domain.wigos.elements import ELEMENTS, KNOWN_VARIABLES, present_count_sql
from domain.zone.models import ZONE_EDIT_LOCK, PriorityZonePart

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


SHARE_ZONE_LOCK = text("SELECT pg_advisory_xact_lock_shared(:k1, :k2)")


def hold_zones_steady(session: Session) -> None:
    """Wait for a zone edit under way, and keep new ones out until the transaction ends (ZONE_EDIT_LOCK)."""
    session.execute(SHARE_ZONE_LOCK, dict(zip(("k1", "k2"), ZONE_EDIT_LOCK, strict=True)))


def zones_containing(session: Session, lon: float, lat: float) -> list[str]:
    """Return the codes of the zones a point lies in, sorted, as station.zones keeps them."""
    hold_zones_steady(session)
    codes = select(func.array_agg(func.distinct(ZP.zone_code))).where(
        func.ST_Intersects(ZP.geom, point(lon, lat))
    )
    return list(session.execute(codes).scalar() or [])


def lock_station(session: Session, station_id: uuid.UUID) -> Station | None:
    """Return the station row locked FOR UPDATE (serializes concurrent writers), zone edits held off first."""
    hold_zones_steady(session)
    stmt = (
        orm_select(Station)
        .where(col(Station.id) == station_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(stmt).first()


def select_station_by_code(session: Session, national_code: str) -> Station | None:
    """Return the station with this national code."""
    return session.exec(orm_select(Station).where(col(Station.national_code) == national_code)).first()


def select_wsi_holders(session: Session, wsis: list[str]) -> dict[str, uuid.UUID]:
    """Return {wsi: station id} for identifiers already held."""
    if not wsis:
        return {}
    rows = session.exec(orm_select(StationWigosId).where(col(StationWigosId.wsi).in_(wsis))).all()
    return {r.wsi: r.station_id for r in rows}


# The ledger of issued identifiers belongs to the wigos context (which depends on this one), so it is
# read here as plain SQL rather than through its models: an identifier issued once is never reused.
SELECT_WSI_ISSUED_TO = text("SELECT wsi, station_id FROM wigos_issued_id WHERE wsi = ANY(:wsis)")


def select_wsi_issued_to(session: Session, wsis: list[str]) -> dict[str, uuid.UUID]:
    """Return {wsi: station id} for identifiers the registry has issued (held or not)."""
    if not wsis:
        return {}
    rows = session.execute(SELECT_WSI_ISSUED_TO, {"wsis": wsis}).all()
    return {str(r[0]): r[1] for r in rows}


def replace_wsis(session: Session, station_id: uuid.UUID, wsis: list[str]) -> None:
    """Make the station hold exactly these identifiers (the first is primary)."""
    session.execute(delete(StationWigosId).where(col(StationWigosId.station_id) == station_id))
    for i, wsi in enumerate(wsis):
        session.add(StationWigosId(wsi=wsi, station_id=station_id, is_primary=i == 0))
    session.flush()


def province_of(session: Session, lon: float, lat: float, max_km: float) -> str | None:
    """Return the province containing the point, else the nearest within `max_km`, else None."""
    pt = point(lon, lat)
    P = Province.__table__.c  # type: ignore[attr-defined]
    inside = session.execute(select(P.code).where(func.ST_Intersects(P.geom, pt)).limit(1)).scalar()
    if inside:
        return str(inside)
    near = session.execute(
        select(P.code)
        .where(func.ST_DWithin(as_geography(P.geom), as_geography(pt), max_km * 1000))
        .order_by(func.ST_Distance(as_geography(P.geom), as_geography(pt)))
        .limit(1)
    ).scalar()
    return str(near) if near else None


def insert_revision(session: Session, revision: StationRevision) -> None:
    """Append a revision to a station's history."""
    session.add(revision)
    session.flush()


def select_revisions(
    session: Session, station_id: uuid.UUID, *, after: int, limit: int
) -> list[StationRevision]:
    """Return a page of a station's revisions, oldest first."""
    stmt = (
        orm_select(StationRevision)
        .where(col(StationRevision.station_id) == station_id, col(StationRevision.revision) > after)
        .order_by(col(StationRevision.revision))
        .limit(limit + 1)
    )
    return list(session.exec(stmt).all())


def select_state_as_of(session: Session, station_id: uuid.UUID, at: datetime) -> StationRevision | None:
    """Return the latest revision of a station at or before `at`."""
    stmt = (
        orm_select(StationRevision)
        .where(col(StationRevision.station_id) == station_id, col(StationRevision.at) <= at)
        .order_by(col(StationRevision.revision).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def upsert_wsi_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert identifier rows, ignoring ones already present (for bulk loads)."""
    if rows:
        session.execute(pg_insert(StationWigosId.__table__).values(rows).on_conflict_do_nothing())  # type: ignore[attr-defined]


# The equipment tables belong to the equipment context (which depends on this one), so the count is
# plain SQL on them rather than an import of their models.
COUNT_INSTALLED_EQUIPMENT = text(
    "SELECT count(*), count(*) FILTER (WHERE t.automatic) FROM equipment_item i "
    "JOIN equipment_type t ON t.code = i.kind WHERE i.station_id = :station_id AND i.removed_date IS NULL"
)


def count_installed_equipment(session: Session, station_id: uuid.UUID) -> tuple[int, int]:
    """Return (installed items, installed items of an automatic kind) at a station."""
    row = session.execute(COUNT_INSTALLED_EQUIPMENT, {"station_id": station_id}).one()
    return int(row[0]), int(row[1])


def select_carried_state(session: Session, station_id: uuid.UUID, keys: tuple[str, ...]) -> dict[str, Any]:
    """Return these keys of the station's latest revision state (those it has)."""
    R = StationRevision.__table__.c  # type: ignore[attr-defined]
    stmt = select(R.state).where(R.station_id == station_id).order_by(R.revision.desc()).limit(1)
    state = session.execute(stmt).scalar_one_or_none() or {}
    return {k: state[k] for k in keys if k in state}


# `hydromet db reorder` (domain/station/storage.py): CLUSTER rewrites the table in the order of its
# spatial index and rebuilds every index on it; VACUUM ANALYZE then marks the new pages all-visible
# (index-only scans need it) and refreshes the statistics. Runs in autocommit (VACUUM cannot run
# inside a transaction); no statement timeout, but a lock timeout: CLUSTER's ACCESS EXCLUSIVE lock
# queues every later reader behind it while it waits.
REORDER = ("CLUSTER station USING idx_station_location", "VACUUM (ANALYZE) station")
STORAGE_FACTS = text(
    "SELECT (SELECT count(*) FROM station), pg_table_size('station'), pg_indexes_size('station')"
)


def cluster_station_table(session: Session, *, lock_timeout_ms: int) -> None:
    """Rewrite the station table in spatial order, then vacuum and analyze it (autocommit sessions)."""
    connection = session.connection()
    connection.exec_driver_sql("SET statement_timeout = 0")
    connection.exec_driver_sql(f"SET lock_timeout = {int(lock_timeout_ms)}")
    for sql in REORDER:
        connection.exec_driver_sql(sql)


def select_storage_facts(session: Session) -> tuple[int, int, int]:
    """Return the station count and the table's and its indexes' sizes in bytes."""
    rows, table, indexes = session.execute(STORAGE_FACTS).one()
    return int(rows), int(table), int(indexes)
