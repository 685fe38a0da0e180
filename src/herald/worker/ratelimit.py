"""Rate limits as values, and the token bucket that enforces one at dispatch time."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateLimit:
    per_second: float
    burst: int


# Refill arithmetic leaves tokens like 0.9999999999; count those as whole.
_EPSILON = 1e-9


class TokenBucket:
    """Pure token bucket: the caller passes the (monotonic) time in."""

    def __init__(self, limit: RateLimit, now: float) -> None:
        self.limit = limit
        self._tokens = float(limit.burst)
        self._updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(now - self._updated, 0.0)
        self._tokens = min(self.limit.burst, self._tokens + elapsed * self.limit.per_second)
        self._updated = max(now, self._updated)

    def available(self, now: float) -> int:
        self._refill(now)
        return math.floor(self._tokens + _EPSILON)

    def take(self, n: int, now: float) -> None:
        self._refill(now)
        self._tokens -= n

    def give_back(self, n: int) -> None:
        """Return tokens taken for work that turned out not to exist."""
        self._tokens = min(self.limit.burst, self._tokens + n)

    def wait_time(self, now: float) -> float:
        """Seconds until at least one token is available."""
        self._refill(now)
        missing = 1 - self._tokens
        return 0.0 if missing <= _EPSILON else missing / self.limit.per_second
