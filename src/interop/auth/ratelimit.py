"""Per-client rate limiting: a token bucket per client id, in memory, per process. Pure.

Each client may burst up to ``per_minute`` requests and refills at ``per_minute / 60`` per second. The
buckets live in the API process: with N processes behind a load balancer a client gets up to N times the
limit. That is acceptable for a guard against runaway clients; a shared limit belongs in the gateway.
``per_minute <= 0`` turns limiting off (load tests, or when a gateway does it).

The token endpoint has its own, much lower limit (``INTEROP_TOKEN_RATE_LIMIT_PER_MINUTE``): every request
per network address, and failed authentications per client name (``check`` before the costly argon2
verification, ``take`` when it failed), so neither many names from one address nor one name from many
addresses can be guessed at speed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

MAX_BUCKETS = 10_000


class RateLimiter:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = per_minute > 0
        self.capacity = float(max(per_minute, 1))
        self.rate = self.capacity / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill time)

    def take(self, key: str) -> int | None:
        """Spend one token; ``None`` when allowed, else the whole seconds to wait (for ``Retry-After``)."""
        if not self.enabled:
            return None
        now = self._clock()
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._forget_full(now)
            return None
        self._buckets[key] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def check(self, key: str) -> int | None:
        """Like ``take`` without spending: ``None`` when a token is available, else the seconds to wait."""
        if not self.enabled:
            return None
        now = self._clock()
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            return None
        return max(1, math.ceil((1.0 - tokens) / self.rate))

    def _forget_full(self, now: float) -> None:
        # A bucket that has refilled completely carries no state worth keeping.
        for key, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * self.rate >= self.capacity:
                del self._buckets[key]
