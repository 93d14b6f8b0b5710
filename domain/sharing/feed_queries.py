"""The change feed's page SQL: the partner's events in a seq range, each station state already JSON text.

The horizon the range ends at is read by domain.sharing.queries.feed_horizon; domain/sharing/feed.py
says why the two together never skip or repeat an event.
"""

from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.orm import aliased
from sqlmodel import Session

from domain.db.fetch import fetch_rows
from domain.sharing.models import ShareGrant
from domain.sharing.queries import PENDING_LOW
from domain.sharing.rules import NEVER_SHARED_STATUS, Scope
from domain.station.models import Station, StationRevision
from domain.zone.models import PriorityZonePart

ZP = PriorityZonePart.__table__.c  # type: ignore[attr-defined]
FeedRow = tuple[int, bytes, Any, bytes | None]

# A feed read's first round trip: the partner's agreement, whether this is a standby and the horizon
# it was given (feed_mark), and the first step of the primary's horizon, the highest seq handed out.
# The second step (PENDING_LOW, the writers' announced bounds) must be a later statement.
FEED_START = """
SELECT g.organization, g.networks, g.station_types, g.provinces, g.data_policies, g.updated_at,
       pg_is_in_recovery(), (SELECT horizon FROM feed_mark WHERE id = 1),
       (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM station_revision_seq_seq)
FROM (SELECT 1) AS one LEFT JOIN share_grant g ON g.organization = %(organization)s
"""
PENDING_LOW_SQL = str(PENDING_LOW.text)


def select_feed_start(session: Session, organization: str) -> tuple[ShareGrant | None, int]:
    """Return the partner's agreement (None without one) and the feed horizon, in two round trips.

    The horizon is domain.sharing.queries.feed_horizon's, read without the ORM: an idle poll is
    this and nothing else.
    """
    ((org, networks, types, provinces, policies, updated_at, standby, mark, handed_out),) = fetch_rows(
        session, FEED_START, {"organization": organization}
    )
    grant = None if org is None else ShareGrant(
        organization=org, networks=networks, station_types=types, provinces=provinces,
        data_policies=policies, updated_at=updated_at,
    )  # fmt: skip
    if standby:
        return grant, int(mark or 0)
    ((pending,),) = fetch_rows(session, PENDING_LOW_SQL, {})
    return grant, int(handed_out) if pending is None else min(int(handed_out), int(pending) - 1)


def state_in_scope(state: Any, scope: Scope) -> ColumnElement[bool]:
    """Return the condition that a revision's JSON state is inside a scope (false when state is NULL)."""
    if scope.is_empty:
        return false()
    c: list[ColumnElement[bool]] = [
        state["data_policy"].astext.in_(scope.data_policies),
        state["status"].astext != NEVER_SHARED_STATUS,
    ]
    if scope.networks is not None:
        c.append(state["network"].astext.in_(scope.networks))
    if scope.provinces is not None:
        c.append(state["province"].astext.in_(scope.provinces))
    if scope.station_types is not None:
        c.append(state["station_types"].has_any(cast(list(scope.station_types), ARRAY(Text))))
    return func.coalesce(and_(*c), false())


def _derived(location: Any, zones: Any, created: Any, updated: Any) -> ColumnElement[Any]:
    """Return the members that replace the state's own: location to 6 decimals, zones, timestamps."""
    return func.jsonb_build_object(
        "location", cast(func.ST_AsGeoJSON(location, 6), JSONB), "zones", func.to_jsonb(zones),
        "created_at", func.to_jsonb(created), "updated_at", func.to_jsonb(updated),
    )  # fmt: skip


def _computed(state: Any) -> ColumnElement[Any]:
    """Return the derived members of a past revision's state, worked out from the state itself."""
    geom = func.ST_SetSRID(func.ST_GeomFromGeoJSON(state["location"].astext), 4326)
    empty = cast(literal("{}"), ARRAY(String))
    zones = select(func.coalesce(func.array_agg(func.distinct(ZP.zone_code)), empty))
    zones = zones.where(func.ST_Intersects(ZP.geom, geom))
    stamp = DateTime(timezone=True)
    created, updated = cast(state["created_at"].astext, stamp), cast(state["updated_at"].astext, stamp)
    return _derived(geom, zones.scalar_subquery(), created, updated)


def state_json(state: Any, current: Any) -> ColumnElement[Any]:
    """Return a revision's state in the API's station JSON shape (the same values as station_json).

    `current` is the station row when the revision is its current one (else NULL columns): its
    location, stored zones and timestamps are then the state's, and cost no parsing or spatial join.
    """
    own = _derived(current.location, current.zones, current.created_at, current.updated_at)
    derived = case((current.id.is_not(None), own), else_=_computed(state))
    merged: ColumnElement[Any] = state.op("||")(derived)  # the right side's members replace the left's
    return merged


def _page_statement(scope: Scope) -> Any:
    """Return the events in (:after, :horizon], at most :limit: (seq, station id, at, station JSON or NULL).

    An event is a revision whose state is in scope (upsert) or whose previous revision's was (drop).
    The previous revision is looked up only for a revision out of scope, and never for a first one.
    """
    rev = StationRevision.__table__  # type: ignore[attr-defined]
    r, p = aliased(rev, name="r"), aliased(rev, name="p")
    s = Station.__table__.alias("s")  # type: ignore[attr-defined]
    inside = state_in_scope(r.c.state, scope)
    previous = p.c.station_id == r.c.station_id, p.c.revision == r.c.revision - 1
    was_inside = select(state_in_scope(p.c.state, scope)).where(*previous).scalar_subquery()
    dropped = and_(r.c.revision > 1, func.coalesce(was_inside, false()))
    body = case((inside, cast(state_json(r.c.state, s.c), Text)), else_=None)
    current = and_(s.c.id == r.c.station_id, s.c.revision == r.c.revision)
    after, horizon = bindparam("after", 0, type_=BigInteger), bindparam("horizon", 0, type_=BigInteger)
    return (
        select(r.c.seq, cast(r.c.station_id, Text), r.c.at, body)
        .select_from(r.outerjoin(s, current))
        .where(r.c.seq > after, r.c.seq <= horizon, or_(inside, dropped))
        .order_by(r.c.seq)
        .limit(bindparam("limit", 0, type_=Integer))
    )


@lru_cache(maxsize=256)
def _page_sql(scope: Scope) -> tuple[str, dict[str, Any]]:
    """Return the page SQL of a scope for psycopg, and its constant values (compiled once per scope)."""
    compiled = _page_statement(scope).compile(
        dialect=PGDialect_psycopg(),  # type: ignore[no-untyped-call]
        compile_kwargs={"render_postcompile": True},
    )
    constants = {k: v for k, v in compiled.params.items() if k not in ("after", "horizon", "limit")}
    return compiled.string, constants


def select_feed_rows(
    session: Session, scope: Scope, *, after: int, horizon: int, limit: int
) -> list[FeedRow]:
    """Return the partner's next events in (after, horizon], at most `limit`, oldest first.

    Each row is (seq, station id as UTF-8 bytes, at, station JSON as UTF-8 bytes or None).
    """
    sql, constants = _page_sql(scope)
    values = constants | {"after": after, "horizon": horizon, "limit": limit}
    return fetch_rows(session, sql, values, text_as_bytes=True)  # type: ignore[return-value]
