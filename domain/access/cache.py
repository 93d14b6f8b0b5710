"""A small in-process cache of authenticated API keys (bounded size, short TTL; never holds a secret).

Invalidation across processes: revoking a key sends a PostgreSQL NOTIFY on `hydromet_key_revoked`
(in the revoking transaction, so it is delivered when the revocation commits) and every process's
`RevocationListener` (domain/access/listener.py) drops the key from its cache within milliseconds.
While a process's listener is not connected, notices may be missed: the cache then keeps entries
for at most `FALLBACK_TTL_S` (1 s), and it is emptied whenever the listener (re)connects.
"""

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from domain.access.models import Principal


@dataclass(frozen=True)
class CachedKey:
    """What a key hash resolved to: the principal and the key's expiry and revocation times."""

    principal: Principal
    expires_at: datetime | None
    revoked_at: datetime | None


FALLBACK_TTL_S = 1.0  # how long an entry is trusted while revocation notices may be missed


class KeyCache:
    """Key hash -> CachedKey for `ttl_s` seconds, least recently used evicted past `max_size`; 0 disables.

    `listening` says whether revocation notices reach this process; without them entries live
    at most FALLBACK_TTL_S. `generation` grows at every forget or clear, so a lookup that raced a
    revocation does not put back what was just dropped (see `put`).
    """

    def __init__(self, ttl_s: float, max_size: int = 1024) -> None:
        self.ttl_s = ttl_s
        self.max_size = max_size
        self.listening = False
        self.generation = 0
        self._entries: OrderedDict[str, tuple[float, CachedKey]] = OrderedDict()
        self._lock = threading.Lock()

    def effective_ttl_s(self) -> float:
        """Return how long an entry is trusted now: the TTL, or at most 1 s when deaf to revocations."""
        return self.ttl_s if self.listening else min(self.ttl_s, FALLBACK_TTL_S)

    def get(self, key_hash: str) -> CachedKey | None:
        """Return the entry stored for this hash if it is younger than the TTL."""
        if self.ttl_s <= 0:
            return None
        with self._lock:
            found = self._entries.get(key_hash)
            if found is None:
                return None
            if time.monotonic() - found[0] > self.effective_ttl_s():
                del self._entries[key_hash]
                return None
            self._entries.move_to_end(key_hash)
            return found[1]

    def put(self, key_hash: str, entry: CachedKey, generation: int | None = None) -> None:
        """Store the entry, evicting the least recently used one when full.

        With `generation` (read before the entry was looked up), nothing is stored if a key was
        forgotten since: the lookup may have read a key just before its revocation committed.
        """
        if self.ttl_s <= 0:
            return
        with self._lock:
            if generation is not None and generation != self.generation:
                return
            self._entries[key_hash] = (time.monotonic(), entry)
            self._entries.move_to_end(key_hash)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def forget(self, key_id: uuid.UUID) -> None:
        """Drop every entry of this key (called when it is revoked in this process)."""
        with self._lock:
            self.generation += 1
            stale = [h for h, (_, e) in self._entries.items() if e.principal.key_id == key_id]
            for key_hash in stale:
                del self._entries[key_hash]

    def clear(self) -> None:
        """Drop every entry (revocation notices may have been missed)."""
        with self._lock:
            self.generation += 1
            self._entries.clear()
