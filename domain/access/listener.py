"""A thread per process that hears key revocations (PostgreSQL LISTEN) and drops them from the key cache.

It holds its own connection to the primary (NOTIFY is not replayed on standbys), with TCP
keepalives so a dead peer is noticed. When the connection fails it retries every `retry_s`;
meanwhile the cache trusts entries for at most 1 s, and it is emptied each time listening starts
again, as notices sent while it was away are lost (domain/access/cache.py).
"""

import logging
import uuid

import psycopg

from domain.access.cache import KeyCache
from domain.access.queries import LISTEN_REVOKED
from domain.db.background import BackgroundThread
from domain.db.engine import libpq_url

log = logging.getLogger(__name__)


class RevocationListener(BackgroundThread):
    """Listen for revoked keys on `url` and forget them in `cache`, until stopped."""

    thread_name = "hydromet-revocations"

    def __init__(
        self, url: str, cache: KeyCache, *, retry_s: float = 1.0, connect_timeout_s: int = 5
    ) -> None:
        super().__init__()
        self.url, self.cache, self.retry_s = libpq_url(url), cache, retry_s
        self.connect_timeout_s = connect_timeout_s

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                if self.cache.listening:
                    log.warning("key revocation listener disconnected: %s", type(exc).__name__)
            finally:
                self.cache.listening = False
            self._stop.wait(self.retry_s)

    def _listen(self) -> None:
        with psycopg.connect(
            self.url, autocommit=True, connect_timeout=self.connect_timeout_s,
            keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=2,
            application_name="hydromet-listener",
        ) as conn:  # fmt: skip
            conn.execute(LISTEN_REVOKED)
            self.cache.clear()  # what was revoked while nobody listened
            self.cache.listening = True
            log.info("listening for key revocations")
            while not self._stop.is_set():
                for notice in conn.notifies(timeout=0.5):
                    self._forget(notice.payload)

    def _forget(self, payload: str) -> None:
        try:
            self.cache.forget(uuid.UUID(payload))
        except ValueError:
            log.warning("ignored a key revocation notice that is not a key id")
