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
only grows). Needs READ COMMITTED or autocommit (a fresh snapshot per statement) and the sequence's
default CACHE 1. Readers never block writers, and writers never wait for readers.

Streaming. A page is read in statements of at most CHUNK events, each over (last event sent,
horizon], and sent as it is read. As every seq up to the horizon is final, later statements (even
in later transactions) read exactly the events one statement would have. When the horizon has not
passed the cursor, nothing is new and no page statement runs. In a current revision (the station's
row is at that revision) the location, timestamps and stored zones are the row's; in a past one
they are worked out from its state (zones: where its location lies in today's zones).
"""

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session

from domain.access.models import Principal, Role
from domain.access.rules import require_role
from domain.errors import Conflict
from domain.sharing import feed_queries
from domain.sharing.feed_queries import FeedRow
from domain.sharing.rules import Scope, decode_feed_cursor, encode_feed_cursor
from domain.sharing.service import scope_of_agreement

# Events read per statement. A page (up to the feed's page limit, 10,000 by default) is read and
# sent chunk by chunk, so the server holds about one chunk of it (~1 MB), never the whole page.
CHUNK = 1000


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


@dataclass(frozen=True)
class _Page:
    """What one page reads: the partner's scope, the seq range (after, horizon], its size, per statement."""

    scope: Scope
    after: int
    horizon: int
    limit: int
    chunk: int

    def first(self, session: Session) -> list[FeedRow]:
        """Return the first chunk of events (none without a query when nothing is new)."""
        return (
            _rows(session, self, self.after, min(self.chunk, self.limit)) if self.horizon > self.after else []
        )

    def next_cursor(self, sent: int, last: int | None) -> str:
        """Return the cursor after the page: its last event when full, else the horizon."""
        return encode_feed_cursor(
            self.scope.stamp, last if sent == self.limit and last is not None else self.horizon
        )


def cursor_bytes(stamp: int, seq: int) -> bytes:
    """Return encode_feed_cursor(stamp, seq) as bytes, built directly (it is made for every event)."""
    return base64.urlsafe_b64encode(b"f1:%d:%d" % (stamp, seq)).rstrip(b"=")


def _event(stamp: int, row: FeedRow) -> bytes:
    seq, station_id, at, body = row
    return b'{"cursor":"%s","op":"%s","station":%s,"station_id":"%s","at":"%s"}' % (
        cursor_bytes(stamp, seq), b"drop" if body is None else b"upsert",
        b"null" if body is None else body, station_id, at.isoformat().encode(),
    )  # fmt: skip


def _open(session: Session, principal: Principal, after: str | None, limit: int, chunk: int) -> _Page:
    """Return the page to read; raise before anything is sent when the partner or the cursor is refused."""
    require_role(principal, Role.partner)
    grant, horizon = feed_queries.select_feed_start(session, str(principal.organization))
    scope = scope_of_agreement(principal, grant)
    position = 0
    if after not in (None, "", "0"):
        stamp, position = decode_feed_cursor(str(after))
        if stamp != scope.stamp:
            raise AgreementChanged(
                "the sharing agreement changed since this cursor was given out: drop your copy "
                "and follow the feed again from the start (omit `after`)"
            )
    return _Page(scope, position, max(position, horizon), limit, chunk)


def _rows(session: Session, page: _Page, after: int, limit: int) -> list[FeedRow]:
    # one statement, no transaction needed (an autocommit session saves BEGIN and ROLLBACK): an
    # ordered range scan of at most CHUNK events, planned without JIT (the engine's connections)
    return feed_queries.select_feed_rows(session, page.scope, after=after, horizon=page.horizon, limit=limit)


def _chunks(session: Session, page: _Page, first: list[FeedRow]) -> Iterator[list[FeedRow]]:
    """Yield the page's events chunk by chunk, starting with the first chunk already read.

    Each chunk is one statement over (last seq sent, horizon]: every seq up to the horizon is final,
    so statements in later transactions read the same events one statement would.
    """
    rows, sent, asked = first, 0, min(page.chunk, page.limit)
    while True:
        yield rows
        sent += len(rows)
        if len(rows) < asked or sent == page.limit:
            return
        asked = min(page.chunk, page.limit - sent)
        rows = _rows(session, page, rows[-1][0], asked)


def read_changes(
    session: Session, *, principal: Principal, after: str | None, limit: int, chunk: int = CHUNK
) -> FeedPage:
    """Return the partner's next events after a cursor (None or "0" = from the start), as one page."""
    page = _open(session, principal, after, limit, chunk)
    items: list[str] = []
    last: int | None = None
    for rows in _chunks(session, page, page.first(session)):
        items += [_event(page.scope.stamp, r).decode() for r in rows]
        last = rows[-1][0] if rows else last
    return FeedPage(items=items, next_cursor=page.next_cursor(len(items), last))


def stream_changes(
    session: Session, *, principal: Principal, after: str | None, limit: int, chunk: int = CHUNK
) -> Iterator[bytes]:
    """Return the partner's next page of events as pieces of its JSON document, read while sent.

    Refusals (partner, cursor, agreement) and the first chunk's errors raise here, before anything is
    sent. When nothing is new (the horizon has not passed the cursor) no page query runs at all.
    The session is closed when the stream ends.
    """
    page = _open(session, principal, after, limit, chunk)
    if page.horizon == page.after:
        return iter([FeedPage(items=[], next_cursor=page.next_cursor(0, None)).to_json().encode()])
    return _stream(session, page, page.first(session))


def _stream(session: Session, page: _Page, first: list[FeedRow]) -> Iterator[bytes]:
    try:
        yield b'{"items":['
        sent, last = 0, None
        for rows in _chunks(session, page, first):
            if rows:
                yield (b"," if sent else b"") + b",".join(_event(page.scope.stamp, r) for r in rows)
                sent, last = sent + len(rows), rows[-1][0]
        yield b'],"next_cursor":' + json.dumps(page.next_cursor(sent, last)).encode() + b"}"
    finally:
        session.close()
