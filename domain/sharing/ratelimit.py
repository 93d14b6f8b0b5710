"""Per-identity request rate limits shared by every API process: a sliding-window counter in PostgreSQL.

Each request upserts its identity's row for the current minute in the UNLOGGED `rate_window`
table (one statement, on the primary); the limit holds across processes and hosts because they
all count in the same row. The estimate is Cloudflare's sliding window counter: this minute's
count plus the previous minute's weighted by the share of it still inside the last 60 s, which
never lets more than the limit through in any 60 s and needs two rows per identity, not one per
request. bench/RESULTS.md records its cost per request.
"""

import math
import time
from datetime import UTC, datetime

from sqlmodel import Session

from domain.errors import TooManyRequests
from domain.sharing import queries

SWEEP_EVERY_S = 60.0


def check_rate(session: Session, *, identity: str, per_minute: int, organization: str | None = None) -> None:
    """Count one request of `identity` (and of `organization` today, UTC), or raise TooManyRequests.

    One statement (queries.admit); the refused request is counted nowhere. No commit.
    """
    day = datetime.now(UTC).date()
    counted, elapsed = queries.admit(
        session, identity=identity, limit=per_minute, organization=organization, day=day
    )
    if counted is not None:
        return
    retry_after = max(1, math.ceil((1 - elapsed) * 60))
    raise TooManyRequests(
        f"more than {per_minute} requests per minute; retry after {retry_after} s", retry_after=retry_after
    )


class RateWindowSweeper:
    """A chore of the replication monitor: delete old minutes and fold the public-scope tally's
    appended deltas into one row (migration 0013), at most once every SWEEP_EVERY_S."""

    def __init__(self) -> None:
        self._last = -math.inf

    def __call__(self, session: Session) -> None:
        if time.monotonic() - self._last < SWEEP_EVERY_S:
            return
        queries.delete_old_rate_windows(session)
        queries.compact_tally(session)
        session.commit()
        self._last = time.monotonic()
