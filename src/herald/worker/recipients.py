"""Limits per recipient: sends in flight and a token bucket for each, at dispatch time.

The ``webhook`` channel queues one delivery per endpoint with the endpoint's id as its
recipient and ``webhook:<endpoint>:<subject>`` as its ordering key. The queue already
keeps one send per ordering key in flight; these limits key on the recipient instead,
so that a slow endpoint holds at most ``concurrency`` of the channel's slots (the others'
events go on) and no endpoint receives more than ``rate`` requests a second. A recipient
may have limits of its own (an endpoint's ``max_in_flight``, ``rate_per_second``), which
the dispatcher reads through ``RecipientLimits.own`` at most every ``OWN_LIMITS_SECONDS``
and hands to the gauge.

A busy recipient is claimed for again only once it may start a batch worth a claim:
half its slots free and tokens for a full room. Below that it counts as full, so a
backlogged endpoint at 20/s costs a claim per four sends rather than one per send
(each claim is a write, on SQLite under the lock the alerts' claims wait for). Pure,
like ``ratelimit.py``: the time is passed in.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from herald.queue import Delivery, RecipientRoom
from herald.worker.ratelimit import RateLimit, TokenBucket

# recipient -> (sends in flight, per second), None for the default of either
OwnLimits = Mapping[str, tuple[int | None, float | None]]
# How stale the recipients' own limits may be: a change reaches the claims within this.
OWN_LIMITS_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class RecipientLimits:
    """At most ``concurrency`` sends in flight and ``rate`` per recipient, unless ``own``
    (read often, from the database) gives a recipient limits of its own."""

    concurrency: int
    rate: RateLimit
    own: Callable[[], Awaitable[OwnLimits]] | None = None

    @staticmethod
    def key(delivery: Delivery) -> str:
        """What the limits count by: the recipient (a webhook's endpoint), whatever the
        delivery's ordering key (one per endpoint and subject)."""
        return delivery.recipient

    @property
    def room(self) -> int:
        """What a recipient with nothing in flight and a full bucket may start."""
        return min(self.concurrency, self.rate.burst)

    @property
    def slots_ready(self) -> int:
        """The free slots a busy recipient waits for before it is claimed for again:
        half of them, so that a slow endpoint keeps most of its concurrency."""
        return math.ceil(self.concurrency / 2)

    def ready(self, free: int, tokens: int) -> bool:
        """Whether a recipient with ``free`` slots and ``tokens`` is worth a claim: the
        tokens refill at the rate whatever the batch, so waiting for a full room's worth
        costs no throughput."""
        return free >= self.slots_ready and tokens >= self.room

    def overridden(self, concurrency: int | None, per_second: float | None) -> RecipientLimits:
        """These limits with a recipient's own in place of either. An own rate's bucket
        holds a second of it (at least one, at most the default's burst): a bucket as
        large as the default's would let a slow rate's receiver take ten at once."""
        rate = self.rate
        if per_second is not None:
            rate = RateLimit(per_second, max(1, min(self.rate.burst, math.ceil(per_second))))
        return RecipientLimits(concurrency or self.concurrency, rate)


class RecipientGauge:
    """Each recipient's limits, sends in flight, bucket and pause (its Retry-After); a
    recipient with none of the last three is not kept (a fresh bucket is a full one), so
    the state is as large as the recipients with limits of their own, busy in the last
    ``burst / rate`` seconds or paused now."""

    __slots__ = ("_buckets", "_in_flight", "_own", "_own_read_at", "_paused", "limits")

    def __init__(self, limits: RecipientLimits) -> None:
        self.limits = limits
        self._in_flight: dict[str, int] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._paused: dict[str, float] = {}  # key -> until
        self._own: dict[str, RecipientLimits] = {}
        self._own_read_at: float | None = None

    def limits_of(self, key: str) -> RecipientLimits:
        return self._own.get(key, self.limits)

    def wants_own(self, now: float) -> bool:
        """Whether the recipients' own limits are due to be read again."""
        read = self._own_read_at
        return self.limits.own is not None and (read is None or now - read >= OWN_LIMITS_SECONDS)

    def set_own(self, own: OwnLimits | None, now: float) -> None:
        """The recipients' own limits as just read (None: the read failed, keep the last
        ones); a bucket whose rate changed keeps its tokens, up to its new burst."""
        self._own_read_at = now
        if own is None:
            return
        self._own = {key: self.limits.overridden(*pair) for key, pair in own.items()}
        for key, bucket in self._buckets.items():
            rate = self.limits_of(key).rate
            if bucket.limit != rate:
                bucket.retune(rate, now)

    def pause(self, delivery: Delivery, seconds: float, now: float) -> None:
        """The recipient asked to be left alone for ``seconds`` (a 429's Retry-After):
        none of its deliveries start before then."""
        key = self.limits.key(delivery)
        self._paused[key] = max(self._paused.get(key, now), now + seconds)

    def _is_paused(self, key: str, now: float) -> bool:
        until = self._paused.get(key)
        if until is not None and until <= now:
            del self._paused[key]  # over: forgotten
            return False
        return until is not None

    def _free_and_tokens(self, key: str, now: float) -> tuple[int, int]:
        """Its free slots and tokens under its limits; none of either while paused."""
        if self._is_paused(key, now):
            return 0, 0
        limits = self.limits_of(key)
        free = limits.concurrency - self._in_flight.get(key, 0)
        bucket = self._buckets.get(key)
        if bucket is None:
            return free, limits.rate.burst
        tokens = bucket.available(now)
        if tokens >= limits.rate.burst and key not in self._in_flight:
            del self._buckets[key]  # full and idle: the same as none
        return free, tokens

    def _room_of(self, key: str, now: float) -> int:
        return min(self._free_and_tokens(key, now))

    def ready(self, key: str, now: float) -> bool:
        """Whether ``key`` is worth a claim now (``RecipientLimits.ready``)."""
        return self.limits_of(key).ready(*self._free_and_tokens(key, now))

    def room(self, now: float) -> tuple[RecipientRoom, float]:
        """Every recipient's room for the claim (none for one not ready), and how soon
        a recipient left out for want of tokens is ready. Not one left out for want of
        slots (a finished send wakes the dispatcher), nor a paused one: a pause may last
        an hour, which a drain must not sleep through, and the next poll after it ends
        finds its work."""
        room: dict[str, int] = {}
        short_of_tokens: list[float] = []
        for key in set(self._in_flight) | set(self._buckets) | set(self._paused) | set(self._own):
            limits = self.limits_of(key)
            free, tokens = self._free_and_tokens(key, now)
            if limits.ready(free, tokens):
                room[key] = min(free, tokens)
                continue
            room[key] = 0
            if free >= limits.slots_ready:
                short_of_tokens.append(self._buckets[key].wait_time(now, limits.room))
        default = self.limits.room
        listed = {key: n for key, n in room.items() if n != default}
        return RecipientRoom(default, listed), min(short_of_tokens, default=0.0)

    def fit(
        self, deliveries: Iterable[Delivery], now: float
    ) -> tuple[list[Delivery], list[Delivery]]:
        """(the deliveries that may start now, in order; those beyond their recipient's
        room), so that a send never starts past its recipient's limits even if a claim
        returned more than asked."""
        left: dict[str, int] = {}
        fits, over = [], []
        for delivery in deliveries:
            key = self.limits.key(delivery)
            if key not in left:
                left[key] = self._room_of(key, now)
            if left[key] > 0:
                left[key] -= 1
                fits.append(delivery)
            else:
                over.append(delivery)
        return fits, over

    def started(self, delivery: Delivery, now: float) -> None:
        key = self.limits.key(delivery)
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.limits_of(key).rate, now)
        bucket.take(1, now)

    def finished(self, delivery: Delivery) -> None:
        key = self.limits.key(delivery)
        left = self._in_flight.get(key, 0) - 1
        if left > 0:
            self._in_flight[key] = left
        else:
            self._in_flight.pop(key, None)

    def in_flight(self, key: str) -> int:
        return self._in_flight.get(key, 0)
