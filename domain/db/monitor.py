"""The replication monitor: a thread per process that checks the primary and each replica.

Every `interval_s` it runs the primary's chores (`chores`: the feed-horizon heartbeat, sweeping
old rate windows), samples the primary's WAL position, and asks every replica whether it is still
a standby and how far it has replayed. What it finds is kept on the router's `Database` entries,
which the request path reads without any I/O. A request that finds a replica gone marks it at
once (see api/routing.py); the next check brings it back when it answers again.
"""

import logging
import time
from collections.abc import Callable

from sqlmodel import Session

from domain.db.background import BackgroundThread
from domain.db.queries import PRIMARY_POSITION, REPLICA_POSITION
from domain.db.routing import Database, DatabaseRouter, record_check

log = logging.getLogger(__name__)

Chore = Callable[[Session], None]


class ReplicationMonitor(BackgroundThread):
    """Check the databases of a router in a background thread until stopped (the first check at once)."""

    thread_name = "hydromet-replication"

    def __init__(self, router: DatabaseRouter, *, interval_s: float, chores: list[Chore]) -> None:
        super().__init__()
        self.router, self.interval_s, self.chores = router, interval_s, chores

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.check_once()
            self._stop.wait(max(0.05, self.interval_s - (time.monotonic() - started)))

    def check_once(self) -> None:
        """Run the primary's chores, sample its WAL position, then check each replica."""
        self._check_primary(self.router.primary)
        for replica in self.router.replicas:
            self._check_replica(replica)

    def _check_primary(self, primary: Database) -> None:
        try:
            with Session(primary.engine) as session:
                for chore in self.chores:
                    chore(session)
                position = int(session.execute(PRIMARY_POSITION).scalar_one())
                session.commit()
        except Exception as exc:  # a failed check is a finding, never the end of the thread
            if primary.reachable:
                log.warning("primary %s unreachable: %s", primary.name, type(exc).__name__)
            self.router.mark_unreachable(primary, type(exc).__name__)
            return
        primary.reachable, primary.error, primary.checked_at = True, None, time.monotonic()
        self.router.history.add(time.monotonic(), position)

    def _check_replica(self, replica: Database) -> None:
        try:
            with replica.read_engine.connect() as conn:
                in_recovery, position = conn.execute(REPLICA_POSITION).one()
        except Exception as exc:  # a replica that does not answer is skipped until it does
            if replica.reachable:
                log.warning("replica %s unreachable: %s", replica.name, type(exc).__name__)
            self.router.mark_unreachable(replica, type(exc).__name__)
            return
        was_standby = replica.in_recovery is not False
        record_check(self.router, replica, in_recovery=bool(in_recovery), replay_lsn=position)
        if was_standby and not in_recovery:
            log.warning("replica %s is not in recovery (promoted?): not used for reads", replica.name)
