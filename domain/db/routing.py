"""Read routing: writes to the primary, reads to a healthy hot standby, the primary when none is.

A replica is healthy when the last check reached it, found it in recovery (a standby, not a
promoted copy) and its replay lag was at most `max_lag_s`. Lag is measured without trusting any
clock but this process's: the monitor samples the primary's WAL position every check, and a
replica that has replayed up to position R is as fresh as the primary was at the newest sample
at or below R (`LsnHistory.lag_of`). An idle primary does not fake a lag: the heartbeat that
publishes the feed horizon writes a little WAL every check, and a replica that has replayed
everything the primary has written has no lag at all.

Read-your-writes: a write's response carries the primary's WAL position after its commit (the
consistency token, `X-Consistency-Token`); a read that presents it goes only to a replica whose
replay position is at or past it, else to the primary.
"""

import itertools
import math
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from sqlalchemy import Engine


class InvalidLsn(ValueError):
    """A text that is not a WAL position such as `0/16B3748`."""


def parse_lsn(text: str) -> int:
    """Return the byte position of a WAL location written as PostgreSQL does (`16/B374D848`)."""
    high, sep, low = text.strip().partition("/")
    try:
        if not sep or not high or not low or len(high) > 8 or len(low) > 8:
            raise ValueError(text)
        return (int(high, 16) << 32) | int(low, 16)
    except ValueError as exc:
        raise InvalidLsn(f"not a WAL position: {text!r}") from exc


def format_lsn(position: int) -> str:
    """Return a byte position of the WAL in PostgreSQL's notation."""
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


@dataclass
class Database:
    """One database server the process talks to, with what the last check found."""

    name: str
    url: str
    engine: Engine  # sessions in a transaction
    read_engine: Engine  # autocommit sessions (one snapshot per statement)
    primary: bool
    reachable: bool = True
    in_recovery: bool | None = None
    replay_lsn: int | None = None
    lag_s: float | None = None
    checked_at: float | None = None
    error: str | None = None

    def engines(self) -> tuple[Engine, Engine]:
        return self.engine, self.read_engine


class LsnHistory:
    """The primary's WAL position over the last minutes, sampled by the monitor (monotonic clock)."""

    def __init__(self, keep_s: float = 300) -> None:
        self.keep_s = keep_s
        self._samples: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def add(self, at: float, lsn: int) -> None:
        """Record that the primary had written up to `lsn` at monotonic time `at`."""
        with self._lock:
            self._samples.append((at, lsn))
            while self._samples and at - self._samples[0][0] > self.keep_s:
                self._samples.popleft()

    def latest(self) -> int | None:
        with self._lock:
            return self._samples[-1][1] if self._samples else None

    def lag_of(self, replay_lsn: int, now: float) -> float | None:
        """Return how many seconds behind the primary a replica at `replay_lsn` is (None: no samples).

        The replica lacks something the primary wrote after the newest sample at or below its
        position, and before the next sample: it is at least `now - (time of that next sample)` old.
        """
        with self._lock:
            samples = list(self._samples)
        if not samples:
            return None
        if replay_lsn >= samples[-1][1]:
            return 0.0
        missing = next((at for at, lsn in reversed(samples) if lsn <= replay_lsn), None)
        if missing is None:
            return now - samples[0][0]  # older than all we remember
        later = next(at for at, lsn in samples if at > missing and lsn > replay_lsn)
        return max(0.0, now - later)


@dataclass
class DatabaseRouter:
    """Choose the database of a request: the primary, or one of the healthy replicas in turn."""

    primary: Database
    replicas: list[Database]
    max_lag_s: float
    history: LsnHistory = field(default_factory=LsnHistory)
    routed: Counter[str] = field(default_factory=Counter)
    _turn: "itertools.count[int]" = field(default_factory=itertools.count)

    def healthy(self, replica: Database, token: int | None = None) -> bool:
        """Say whether a replica may answer a read (at or past `token` when one is given)."""
        if not replica.reachable or replica.in_recovery is not True or replica.replay_lsn is None:
            return False
        if replica.lag_s is not None and replica.lag_s > self.max_lag_s:
            return False
        return token is None or replica.replay_lsn >= token

    def choose_read(self, token: int | None = None) -> Database:
        """Return the database of a read: a healthy replica in turn, else the primary."""
        candidates = [r for r in self.replicas if self.healthy(r, token)]
        chosen = candidates[next(self._turn) % len(candidates)] if candidates else self.primary
        self.routed[chosen.name] += 1
        return chosen

    def choose_write(self) -> Database:
        """Return the primary (and count the request)."""
        self.routed[self.primary.name] += 1
        return self.primary

    def mark_unreachable(self, database: Database, error: str) -> None:
        """Take a database out of the rotation at once (the next check may bring it back)."""
        database.reachable = False
        database.error = error

    def databases(self) -> list[Database]:
        return [self.primary, *self.replicas]

    def dispose(self) -> None:
        """Close every pooled connection."""
        for database in self.databases():
            for engine in database.engines():
                engine.dispose()


def record_check(
    router: DatabaseRouter, replica: Database, *, in_recovery: bool, replay_lsn: int | None
) -> None:
    """Store what a check of a replica found, with its lag against the primary's recent positions."""
    now = time.monotonic()
    replica.reachable, replica.error, replica.checked_at = True, None, now
    replica.in_recovery, replica.replay_lsn = in_recovery, replay_lsn
    replica.lag_s = None if replay_lsn is None else router.history.lag_of(replay_lsn, now)


def replica_status(router: DatabaseRouter, replica: Database) -> str:
    """Return `ok`, `unreachable`, `not_standby`, `lagging` or `unchecked` for a replica."""
    if not replica.reachable:
        return "unreachable"
    if replica.in_recovery is None:
        return "unchecked"
    if not replica.in_recovery:
        return "not_standby"
    return "ok" if router.healthy(replica) else "lagging"


def describe(router: DatabaseRouter, *, primary_ok: bool) -> list[dict[str, object]]:
    """Return what /health says of each database: name, role, status, and a replica's lag."""
    found: list[dict[str, object]] = [
        {"name": router.primary.name, "role": "primary", "status": "ok" if primary_ok else "unreachable"}
    ]
    for replica in router.replicas:
        found.append({
            "name": replica.name, "role": "replica", "status": replica_status(router, replica),
            # to the millisecond above: a replica skipped as lagging never shows a lag at the maximum
            "lag_s": None if replica.lag_s is None else math.ceil(replica.lag_s * 1000) / 1000,
            "replay_lsn": None if replica.replay_lsn is None else format_lsn(replica.replay_lsn),
            "routed_requests": router.routed.get(replica.name, 0),
        })  # fmt: skip
    return found
