"""Rate limits as values, and the token bucket that enforces one at dispatch time."""

from __future__ import annotations

import math
from collections import deque
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

    def pause(self, seconds: float, now: float) -> None:
        """Spend ``seconds`` worth of tokens ahead: nothing is sent until they refill."""
        self._refill(now)
        self._tokens = min(self._tokens, 0.0) - seconds * self.limit.per_second

    def wait_time(self, now: float) -> float:
        """Seconds until at least one token is available."""
        self._refill(now)
        missing = 1 - self._tokens
        return 0.0 if missing <= _EPSILON else missing / self.limit.per_second


@dataclass(frozen=True, slots=True)
class TelegramChatLimits:
    """Telegram's per-chat limits: about 1 message/s to a private chat and 20/minute to a
    group or channel (negative ids, @channel names). Keys are "telegram:<chat id>"."""

    private: RateLimit = RateLimit(per_second=1.0, burst=1)
    group: RateLimit = RateLimit(per_second=20 / 60, burst=3)

    def for_key(self, key: str) -> RateLimit:
        chat = key.rsplit(":", 1)[-1]
        return self.group if chat.startswith(("-", "@")) else self.private


class KeyBuckets:
    """One token bucket per recipient key, plus explicit pauses (a 429's retry_after).

    Buckets that have refilled completely are dropped: a fresh bucket is the same.
    """

    def __init__(self, limits: TelegramChatLimits) -> None:
        self.limits = limits
        self._buckets: dict[str, TokenBucket] = {}
        self._paused: dict[str, float] = {}

    def blocked(self, now: float) -> set[str]:
        """Keys that must not be sent to at ``now``."""
        blocked = set()
        for key, bucket in list(self._buckets.items()):
            if bucket.available(now) >= bucket.limit.burst:
                del self._buckets[key]
            elif bucket.available(now) < 1:
                blocked.add(key)
        for key, until in list(self._paused.items()):
            if until <= now:
                del self._paused[key]
            else:
                blocked.add(key)
        return blocked

    def wait_time(self, now: float) -> float:
        """Seconds until the first blocked key frees up (0 when none is blocked)."""
        waits = [b.wait_time(now) for b in self._buckets.values() if b.available(now) < 1]
        waits += [until - now for until in self._paused.values() if until > now]
        return min(waits, default=0.0)

    def take(self, key: str, now: float) -> None:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.limits.for_key(key), now)
        bucket.take(1, now)

    def pause(self, key: str, seconds: float, now: float) -> None:
        self._paused[key] = max(self._paused.get(key, now), now + seconds)


class SlidingWindow:
    """At most ``limit`` sends in any ``seconds``, counting sends still in flight.

    Telegram counts messages per bot over a sliding second; a token bucket alone either
    bursts past that (large burst) or loses every late wake-up for good (burst 1). A
    send takes a slot when it starts and keeps it until ``seconds`` after it finished.
    """

    def __init__(self, limit: int, seconds: float = 1.0) -> None:
        self.limit = limit
        self.seconds = seconds
        self._in_flight = 0
        self._finished: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self._finished and self._finished[0] <= now - self.seconds:
            self._finished.popleft()

    def available(self, now: float) -> int:
        self._expire(now)
        return self.limit - self._in_flight - len(self._finished)

    def start(self, n: int) -> None:
        self._in_flight += n

    def finish(self, now: float) -> None:
        self._in_flight -= 1
        self._finished.append(now)

    def clear_in(self, now: float) -> float:
        """Seconds until every finished send has left the window (0 when none is in it)."""
        self._expire(now)
        return self._finished[-1] + self.seconds - now if self._finished else 0.0

    def wait_time(self, now: float) -> float:
        """Seconds until a slot frees up (0 if one is free; in-flight sends free none)."""
        if self.available(now) > 0 or not self._finished:
            return 0.0
        return self._finished[0] + self.seconds - now
