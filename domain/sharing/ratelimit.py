"""Per-key request rate limits: an in-memory moving window (the `limits` library), one per process."""

import math
import time

from limits import RateLimitItemPerMinute, storage, strategies

from domain.errors import TooManyRequests


class RequestLimiter:
    """Allow each identity (a key id, or a client address when anonymous) `per_minute` requests."""

    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute)
        self.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def check(self, identity: str) -> None:
        """Count one request, or raise TooManyRequests (with retry_after seconds) when over the limit."""
        if self.limiter.hit(self.item, "share", identity):
            return
        reset = self.limiter.get_window_stats(self.item, "share", identity).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        raise TooManyRequests(
            f"more than {self.item.amount} requests per minute; retry after {retry_after} s",
            retry_after=retry_after,
        )
