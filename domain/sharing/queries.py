"""All sharing SQL: scope conditions, partner and OGC pages, zones, the feed horizon (pages: feed_queries), agreements, usage."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    String,
    Text,
    and_,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from domain.db.fetch import fetch_rows
from domain.db.spatial import envelope
from domain.province.models import Province
from domain.sharing.models import ShareGrant, ShareUsage
from domain.sharing.rules import NEVER_SHARED_STATUS, RESTRICTED, SHAREABLE_POLICIES, Box, Scope, Sort
from domain.station.models import Station
from domain.station.reads import station_sql
from domain.zone.models import PriorityZone

S = Station.__table__.c  # type: ignore[attr-defined]
Z = PriorityZone.__table__.c  # type: ignore[attr-defined]
Period = tuple[datetime | None, datetime | None]


def _policy_condition(scope: Scope) -> ColumnElement[bool]:
    # "not restricted" when every shareable policy is in scope: the same rows (data_policy is one of
    # core/recommended/restricted), but the planner cannot pair the 95%-unselective data_policy index
    # with the spatial one (a BitmapAnd that cost 100+ ms a bbox page at 1M stations).
    policy: ColumnElement[bool] = (
        S.data_policy != RESTRICTED
        if set(scope.data_policies) == set(SHAREABLE_POLICIES)
        else S.data_policy.in_(scope.data_policies)
    )
    return policy


def scope_condition(scope: Scope) -> ColumnElement[bool]:
    """Return the condition of the station rows inside a scope (never restricted, never closed)."""
    if scope.is_empty:
        return false()
    c: list[ColumnElement[bool]] = [_policy_condition(scope), S.status != NEVER_SHARED_STATUS]
    if scope.networks is not None:
        c.append(S.network.in_(scope.networks))
    if scope.provinces is not None:
        c.append(S.province.in_(scope.provinces))
    if scope.station_types is not None:
        c.append(S.station_types.overlap(cast(list(scope.station_types), ARRAY(String))))
    return and_(*c)


def _boxes_condition(geom: Any, boxes: list[Box], *, points: bool = False) -> ColumnElement[bool]:
    if points:
        # for points the bounding-box operator is the test itself (to float4 rounding, under a metre);
        # PostGIS prices ST_Intersects so high that the planner would never scan the index-only path
        return or_(*(geom.op("&&")(envelope(box)) for box in boxes))
    return or_(*(func.ST_Intersects(geom, envelope(box)) for box in boxes))


def _period_conditions(column: Any, period: Period | None) -> list[ColumnElement[bool]]:
    if period is None:
        return []
    start, end = period
    c: list[ColumnElement[bool]] = []
    if start is not None:
        c.append(column >= start)
    if end is not None:
        c.append(column <= end)
    return c


SORTABLE = ("national_code", "name", "network", "automation", "status", "created_at", "updated_at")


def _keyset(sort: Sort | None, after: str | None, after_value: str | None) -> list[ColumnElement[bool]]:
    if after is None:
        return []
    if sort is None:
        return [S.national_code > after]
    column = S[sort.name]
    value = cast(literal(after_value, String), column.type)
    ahead = tuple_(column, S.national_code)
    mark = tuple_(value, literal(after, String))
    return [ahead < mark if sort.descending else ahead > mark]


def _order(sort: Sort | None, table: Any = S) -> list[Any]:
    if sort is None:
        return [table.national_code]
    column, code = table[sort.name], table.national_code
    return [column.desc(), code.desc()] if sort.descending else [column, code]


def select_station_page(
    scope: Scope,
    *,
    after: str | None,
    limit: int,
    geojson: bool,
    boxes: list[Box] | None = None,
    period: Period | None = None,
    condition: ColumnElement[bool] | None = None,
    sort: Sort | None = None,
    after_value: str | None = None,
) -> Select[Any]:
    """Return one keyset page (limit + 1 rows) of in-scope stations as (national_code, JSON text, sort key).

    The keys are chosen first from narrow rows (for the public scope, an index-only scan of
    ix_station_shared_code, which holds the location), then JSON is built for those rows alone.
    A sort other than the code pages on (sort column, code), so ties keep a stable order.
    """
    sort_col = S[sort.name] if sort else S.national_code
    keys = select(S.national_code.label("key")).where(scope_condition(scope))
    if boxes:
        keys = keys.where(_boxes_condition(S.location, boxes, points=True))
    if condition is not None:
        keys = keys.where(condition)
    keys = keys.where(*_period_conditions(S.updated_at, period), *_keyset(sort, after, after_value))
    page = keys.order_by(*_order(sort)).limit(limit + 1).subquery("page")
    body = cast(station_sql(geojson=geojson), Text)
    joined = Station.__table__.join(page, S.national_code == page.c.key)  # type: ignore[attr-defined]
    return select(S.national_code, body, cast(sort_col, Text)).select_from(joined).order_by(*_order(sort))


# Page queries are short and run many at once: JIT compilation cost them 50-900 ms at 1M stations,
# and parallel workers only fight the other requests for the same cores.
SHORT_QUERIES = text(
    "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"
)


def for_short_queries(session: Session) -> None:
    """Plan this transaction's queries as short ones: no JIT, no parallel workers."""
    session.execute(SHORT_QUERIES)


def _zone_feature() -> ColumnElement[Any]:
    props = func.json_build_object(
        "code", Z.code, "name", Z.name, "category", Z.category, "hazard", Z.hazard,
        "priority_weight", Z.priority_weight, "source", Z.source, "area_km2", Z.area_km2,
        "updated_at", Z.updated_at,
    )  # fmt: skip
    geometry = cast(func.ST_AsGeoJSON(Z.geom, 6), JSONB)
    return func.json_build_object("type", "Feature", "id", Z.code, "geometry", geometry, "properties", props)


def zone_columns() -> dict[str, ColumnElement[Any]]:
    """Return the column of each zone queryable."""
    names = ("code", "name", "category", "hazard", "priority_weight", "source", "area_km2", "updated_at")
    return {n: Z[n] for n in names} | {"geometry": Z.geom}


def select_zone_page(
    *, after: str | None, limit: int, boxes: list[Box] | None, period: Period | None,
    condition: ColumnElement[bool] | None = None,
) -> Select[Any]:  # fmt: skip
    """Return one keyset page (limit + 1 rows) of priority zones as (code, GeoJSON Feature text)."""
    stmt = select(Z.code, cast(_zone_feature(), Text))
    if boxes:
        stmt = stmt.where(_boxes_condition(Z.geom, boxes))
    if condition is not None:
        stmt = stmt.where(condition)
    stmt = stmt.where(*_period_conditions(Z.updated_at, period))
    if after is not None:
        stmt = stmt.where(Z.code > after)
    return stmt.order_by(Z.code).limit(limit + 1)


def select_zone_text(session: Session, code: str) -> str | None:
    """Return one zone as GeoJSON Feature text, or None."""
    value = session.execute(select(cast(_zone_feature(), Text)).where(Z.code == code)).scalar()
    return str(value) if value is not None else None


# The feed horizon (see domain/sharing/feed.py): the highest seq handed out, then the lowest seq
# that a still-open writer transaction may hold (announced by its advisory lock, key 2^62 + seq).
# They must run as two statements, in this order, under READ COMMITTED.
SEQ_HANDED_OUT = text("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM station_revision_seq_seq")
PENDING_LOW = text(
    "SELECT min(((classid::bigint << 32) | objid::bigint) - 4611686018427387904) FROM pg_locks"
    " WHERE locktype = 'advisory' AND objsubid = 1 AND pid <> pg_backend_pid()"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid::bigint BETWEEN 1073741824 AND 2147483647"
)


STANDBY_MARK = text("SELECT pg_is_in_recovery(), (SELECT horizon FROM feed_mark WHERE id = 1)")
PUBLISH_MARK = text(
    "UPDATE feed_mark SET horizon = GREATEST(horizon, :horizon), marked_at = now() WHERE id = 1"
)


def feed_horizon(session: Session) -> int:
    """Return the highest seq below which every revision is committed or rolled back for good.

    On a hot standby, the horizon the primary last published (feed_mark, replicated with the WAL).
    """
    standby, mark = session.execute(STANDBY_MARK).one()
    if standby:
        return int(mark or 0)
    return primary_feed_horizon(session)


def publish_feed_horizon(session: Session) -> None:
    """Store the primary's current horizon in feed_mark (never lowering it), for its standbys."""
    session.execute(PUBLISH_MARK, {"horizon": primary_feed_horizon(session)})


def primary_feed_horizon(session: Session) -> int:
    """Return the horizon from the primary's sequence and its writers' announced bounds."""
    handed_out = int(session.execute(SEQ_HANDED_OUT).scalar_one())
    pending = session.execute(PENDING_LOW).scalar()
    return handed_out if pending is None else min(handed_out, int(pending) - 1)


def select_grant(session: Session, organization: str) -> ShareGrant | None:
    """Return an organization's sharing agreement, or None."""
    return session.get(ShareGrant, organization)


def select_grants(session: Session) -> list[ShareGrant]:
    """Return every sharing agreement, by organization."""
    return list(session.exec(orm_select(ShareGrant).order_by(col(ShareGrant.organization))).all())


def unknown_provinces(session: Session, codes: list[str]) -> list[str]:
    """Return the codes among `codes` that name no province."""
    known = set(session.exec(orm_select(Province.code).where(col(Province.code).in_(codes))).all())
    return [c for c in codes if c not in known]


def select_usage(session: Session, organization: str | None, since: date) -> list[ShareUsage]:
    """Return usage rows since a day, for one organization or all, newest first."""
    stmt = orm_select(ShareUsage).where(col(ShareUsage.day) >= since)
    if organization is not None:
        stmt = stmt.where(col(ShareUsage.organization) == organization)
    return list(session.exec(stmt.order_by(col(ShareUsage.day).desc(), col(ShareUsage.organization))).all())


# One round trip: count this request in the identity's current minute unless the sliding estimate
# (the previous minute's count, weighted by how much of it the last 60 s still cover, plus this
# minute's) would pass the limit. Minutes are numbered by the database's clock, the same for every
# API process. A refused request is not counted.
RATE_HIT = text("""
WITH win AS (
    SELECT floor(t / 60)::bigint AS n, (t - floor(t / 60) * 60) / 60 AS frac
    FROM (SELECT extract(epoch FROM clock_timestamp())::float8 AS t) now_
), prior AS (
    SELECT win.n, win.frac, coalesce((SELECT r.hits FROM rate_window r
        WHERE r.identity = :identity AND r.window_no = win.n - 1), 0) * (1 - win.frac) AS carried
    FROM win
), up AS (
    INSERT INTO rate_window AS w (identity, window_no, hits)
    SELECT :identity, prior.n, 1 FROM prior WHERE prior.carried + 1 <= :limit
    ON CONFLICT (identity, window_no) DO UPDATE SET hits = w.hits + 1
        WHERE w.hits + 1 + (SELECT carried FROM prior) <= :limit
    RETURNING w.hits
)
SELECT (SELECT hits FROM up), (SELECT frac FROM prior)
""")
RATE_SWEEP = text(
    "DELETE FROM rate_window WHERE window_no < floor(extract(epoch FROM clock_timestamp()) / 60)::bigint - 1"
)


def hit_rate_window(session: Session, identity: str, limit: int) -> tuple[int | None, float]:
    """Count a request of `identity` if under `limit`: (its count this minute or None, minute elapsed 0..1)."""
    counted, elapsed = session.execute(RATE_HIT, {"identity": identity, "limit": limit}).one()
    return (None if counted is None else int(counted)), float(elapsed)


def delete_old_rate_windows(session: Session) -> None:
    """Delete the minutes no rate decision reads any more."""
    session.execute(RATE_SWEEP)


# The guard of /share/v1 and /ogc in one statement, run alone in autocommit (no BEGIN, no COMMIT
# round trip): RATE_HIT's sliding window, and the partner's request counted for the day only when
# the rate admitted it. synchronous_commit is off for this statement's own transaction (read at its
# commit, so a set_config inside it applies): the commit does not wait for the WAL flush. That is
# sound here: rate_window is UNLOGGED (a crash empties it anyway, and its changes write no WAL), and
# a crash can lose at most the last ~0.6 s (3 x wal_writer_delay) of usage increments, statistics
# that are never read back to decide anything. Nothing can be half-applied: the statement is atomic.
ADMIT = """
WITH quiet AS (SELECT set_config('synchronous_commit', 'off', true) AS s
), win AS (
    SELECT floor(t / 60)::bigint AS n, (t - floor(t / 60) * 60) / 60 AS frac
    FROM (SELECT extract(epoch FROM clock_timestamp())::float8 AS t) now_
), prior AS (
    SELECT win.n, win.frac, coalesce((SELECT r.hits FROM rate_window r
        WHERE r.identity = %(identity)s AND r.window_no = win.n - 1), 0) * (1 - win.frac) AS carried
    FROM win
), up AS (
    INSERT INTO rate_window AS w (identity, window_no, hits)
    SELECT %(identity)s, prior.n, 1 FROM prior, quiet WHERE prior.carried + 1 <= %(limit)s
    ON CONFLICT (identity, window_no) DO UPDATE SET hits = w.hits + 1
        WHERE w.hits + 1 + (SELECT carried FROM prior) <= %(limit)s
    RETURNING w.hits
), used AS (
    INSERT INTO share_usage AS u (organization, day, requests)
    SELECT CAST(%(organization)s AS varchar), CAST(%(day)s AS date), 1 FROM up
    WHERE CAST(%(organization)s AS varchar) IS NOT NULL
    ON CONFLICT (organization, day) DO UPDATE SET requests = u.requests + 1
    RETURNING 1
)
SELECT (SELECT hits FROM up), (SELECT frac FROM prior), (SELECT count(*) FROM used)
"""


def admit(
    session: Session, *, identity: str, limit: int, organization: str | None, day: date
) -> tuple[int | None, float]:
    """Count a request of `identity` if under `limit`, and the organization's for `day` then.

    Returns its count this minute (None when refused, and then nothing is counted) and how much of
    the minute has passed (0..1). One statement on the driver's cursor.
    """
    values = {"identity": identity, "limit": limit, "organization": organization, "day": day}
    counted, elapsed, _ = fetch_rows(session, ADMIT, values, prepare=True)[0]
    return (None if counted is None else int(counted)), float(elapsed)


# Fold the appended deltas into one row: rows appended meanwhile by other transactions are not in
# the DELETE's snapshot, so they stay and the sum is unchanged.
COMPACT_TALLY = text(
    "WITH gone AS (DELETE FROM shared_station_tally WHERE (SELECT count(*) > 1 FROM shared_station_tally) "
    "RETURNING delta) INSERT INTO shared_station_tally (delta) SELECT sum(delta) FROM gone HAVING count(*) > 0"
)


def compact_tally(session: Session) -> None:
    """Replace the public-scope tally's deltas by their sum."""
    session.execute(COMPACT_TALLY)
