"""The partners' change feed: every in-scope create, update and close, in `seq` order, never skipped.

Events. The feed is read from station_revision, one row per change, ordered by `seq`. For a
partner, a revision is an `upsert` when its state lies in the partner's scope (carrying that state,
in the API's station shape) and a `drop` when it does not but the station's previous revision did.
Other revisions are not shown, so a partner never hears of a station that was never in its scope,
and a drop says nothing of why (closed, restricted, moved, retyped). Writers of one station are
serialized by its row lock and draw `seq` while holding it, so per station `seq` follows revision
order. Scope is judged with the agreement as it is now; when an agreement changes, old cursors are
refused (409) and the partner replays from the start, which rebuilds exactly the new scope.

Why not "txid < xmin of the snapshot, ordered by seq". seq is drawn inside a transaction, so two
writers can commit out of seq order. Filtering on txid alone is not enough: T1 gets its xid, T2
gets a later xid and draws seq 10, T1 draws seq 11 and commits; a reader whose snapshot still sees
T2 running (xmin = T2) returns seq 11 (T1's xid < xmin) and moves its cursor past 10, which T2 then
commits: skipped. Ordering by (txid, seq) instead fixes skips but breaks per-station order when a
multi-station transaction took its xid before a later single-station writer of the same station.

The horizon. Every transaction that inserts revisions announces, before drawing its first seq, a
lower bound of it: the sequence's next value, as a shared transaction-level advisory lock keyed
2^62 + bound (the column default `station_revision_next_seq()`, migration 0004). PostgreSQL drops
the lock only after the commit (or rollback) is visible to new snapshots. A reader (1) reads the
highest seq handed out, S, then (2) the lowest announced bound L among other sessions' locks.
A transaction holding some seq <= S drew it before (1), so it announced before (1) and is either
still listed in (2), giving L <= its seq, or finished. So every seq <= horizon = min(S, L - 1) is
final: committed and visible to the next statement's snapshot, or gone for good. The page is read
from (after, horizon] in seq order; the cursor moves to the last event, or to the horizon when the
page is not full. Nothing is skipped (the horizon never passes an open seq) or repeated (the cursor
only grows). Needs READ COMMITTED (a fresh snapshot per statement, PostgreSQL's default) and the
sequence's default CACHE 1. Readers never block writers, and writers never wait for readers.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from domain.access.models import Principal
from domain.errors import Conflict
from domain.sharing import queries
from domain.sharing.rules import decode_feed_cursor, encode_feed_cursor
from domain.sharing.service import partner_scope


class AgreementChanged(Conflict):
    code = "sharing-agreement-changed"
    title = "The sharing agreement changed"


@dataclass(frozen=True)
class FeedPage:
    """A page of events, each already serialized to JSON text, and the cursor to continue from."""

    items: list[str]
    next_cursor: str

    def to_json(self) -> str:
        """Return the page as the API's JSON document."""
        return '{"items":[' + ",".join(self.items) + '],"next_cursor":' + json.dumps(self.next_cursor) + "}"


def _event(cursor: str, station_id: uuid.UUID, at: datetime, body: str | None) -> str:
    head = f'{{"cursor":"{cursor}","op":"{"upsert" if body is not None else "drop"}"'
    tail = f',"station_id":"{station_id}","at":{json.dumps(at.isoformat())}}}'
    return head + ',"station":' + (body if body is not None else "null") + tail


def read_changes(session: Session, *, principal: Principal, after: str | None, limit: int) -> FeedPage:
    """Return the partner's next events after a cursor (None or "0" = from the start)."""
    scope = partner_scope(session, principal)
    position = 0
    if after not in (None, "", "0"):
        stamp, position = decode_feed_cursor(str(after))
        if stamp != scope.stamp:
            raise AgreementChanged(
                "the sharing agreement changed since this cursor was given out: drop your copy "
                "and follow the feed again from the start (omit `after`)"
            )
    queries.for_short_queries(session)
    horizon = max(position, queries.feed_horizon(session))
    stmt = queries.select_feed_page(scope, after=position, horizon=horizon, limit=limit)
    rows = session.execute(stmt).all()
    items = [_event(encode_feed_cursor(scope.stamp, r[0]), r[1], r[2], r[3]) for r in rows]
    last = rows[-1][0] if len(rows) == limit else horizon
    return FeedPage(items=items, next_cursor=encode_feed_cursor(scope.stamp, last))
