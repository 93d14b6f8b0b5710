"""A small in-process cache of authenticated API keys (bounded size, short TTL; never holds a secret)."""

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


class KeyCache:
    """Key hash -> CachedKey for `ttl_s` seconds, least recently used evicted past `max_size`; 0 disables."""

    def __init__(self, ttl_s: float, max_size: int = 1024) -> None:
        self.ttl_s = ttl_s
        self.max_size = max_size
        self._entries: OrderedDict[str, tuple[float, CachedKey]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> CachedKey | None:
        """Return the entry stored for this hash if it is younger than the TTL."""
        if self.ttl_s <= 0:
            return None
        with self._lock:
            found = self._entries.get(key_hash)
            if found is None:
                return None
            if time.monotonic() - found[0] > self.ttl_s:
                del self._entries[key_hash]
                return None
            self._entries.move_to_end(key_hash)
            return found[1]

    def put(self, key_hash: str, entry: CachedKey) -> None:
        """Store the entry, evicting the least recently used one when full."""
        if self.ttl_s <= 0:
            return
        with self._lock:
            self._entries[key_hash] = (time.monotonic(), entry)
            self._entries.move_to_end(key_hash)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def forget(self, key_id: uuid.UUID) -> None:
        """Drop every entry of this key (called when it is revoked in this process)."""
        with self._lock:
            stale = [h for h, (_, e) in self._entries.items() if e.principal.key_id == key_id]
            for key_hash in stale:
                del self._entries[key_hash]
