"""Rate limits as values, and the token bucket that enforces one at dispatch time."""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass
from typing import Protocol


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

    def retune(self, limit: RateLimit, now: float) -> None:
        """Refill at ``limit`` from now on, keeping the tokens left (at most its burst)."""
        self._refill(now)
        self.limit = limit
        self._tokens = min(self._tokens, float(limit.burst))

    def pause(self, seconds: float, now: float) -> None:
        """Spend ``seconds`` worth of tokens ahead: nothing is sent until they refill."""
        self._refill(now)
        self._tokens = min(self._tokens, 0.0) - seconds * self.limit.per_second

    def full_in(self, now: float) -> float:
        """Seconds until the bucket is full again."""
        self._refill(now)
        return max(self.limit.burst - self._tokens, 0.0) / self.limit.per_second

    def wait_time(self, now: float, n: int = 1) -> float:
        """Seconds until at least ``n`` tokens are available."""
        self._refill(now)
        missing = n - self._tokens
        return 0.0 if missing <= _EPSILON else missing / self.limit.per_second


class KeyLimits(Protocol):
    """Which limit one recipient key gets (a channel's own rule, e.g. Telegram's groups)."""

    def for_key(self, key: str) -> RateLimit: ...


class KeyBuckets:
    """One token bucket per recipient key, plus explicit pauses (a 429's retry_after).

    Kept incrementally: each key has one moment at which its state can next change
    (it unblocks, or its bucket is full again and is dropped, a fresh bucket being the
    same), in a heap. A round costs what changed since the last one, not a pass over
    every chat sent to in the last second (1,500 of them at 1,500 sends/s).
    """

    def __init__(self, limits: KeyLimits) -> None:
        self.limits = limits
        self._buckets: dict[str, TokenBucket] = {}
        self._paused: dict[str, float] = {}
        self._blocked: dict[str, float] = {}  # key -> until when it is blocked
        self._due: list[tuple[float, str]] = []  # (when to look at key again, key)
        self._next: dict[str, float] = {}  # the one entry of _due that counts, per key

    def _review(self, key: str, now: float) -> None:
        """Decide ``key``'s state at ``now`` and when to look at it next."""
        paused = self._paused.get(key, 0.0)
        if paused <= now:
            self._paused.pop(key, None)
            paused = 0.0
        bucket = self._buckets.get(key)
        if bucket is not None and bucket.available(now) >= bucket.limit.burst:
            del self._buckets[key]
            bucket = None
        wait = bucket.wait_time(now) if bucket is not None else 0.0
        if paused or wait > 0:
            until = max(paused, now + wait)
            if until <= now:  # a wait shorter than the float at ``now`` can hold:
                until = math.nextafter(now, math.inf)  # else blocked() re-reviews forever
            self._blocked[key] = until
            self._look_again(key, until)
            return
        self._blocked.pop(key, None)
        if bucket is not None:
            self._look_again(key, now + bucket.full_in(now))
        else:
            self._next.pop(key, None)

    def _look_again(self, key: str, at: float) -> None:
        if self._next.get(key) != at:
            self._next[key] = at
            heapq.heappush(self._due, (at, key))

    def blocked(self, now: float) -> set[str]:
        """Keys that must not be sent to at ``now``."""
        due = self._due
        while due and due[0][0] <= now:
            at, key = heapq.heappop(due)
            if self._next.get(key) == at:  # else superseded by a later entry
                del self._next[key]
                self._review(key, now)
        return set(self._blocked)

    def wait_time(self, now: float) -> float:
        """Seconds until the first blocked key frees up (0 when none is blocked)."""
        return max(min(self._blocked.values(), default=now) - now, 0.0)

    def take(self, key: str, now: float, n: int = 1) -> None:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.limits.for_key(key), now)
        bucket.take(n, now)
        self._review(key, now)

    def pause(self, key: str, seconds: float, now: float) -> None:
        self._paused[key] = max(self._paused.get(key, now), now + seconds)
        self._review(key, now)


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
