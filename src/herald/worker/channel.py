"""One channel at dispatch time: its plan and everything the worker counts for it.

Pure, like ``ratelimit.py``: the time is passed in and nothing here touches the
database, so the dispatcher's decisions for a channel (how many to claim, which keys
to leave out, when to stop asking an idle channel) are tested without one.
"""

from __future__ import annotations

from herald.queue import Delivery, RecipientRoom, RetryAfter
from herald.worker.paid import PaidPacer
from herald.worker.plan import ChannelPlan
from herald.worker.ratelimit import KeyBuckets, SlidingWindow, TokenBucket
from herald.worker.recipients import RecipientGauge

Generation = tuple[int, int]  # Wakeup.generation_of: a new value when work may be due

# Idle marks: the whole channel, or (while its paid lanes are paid) the paid lanes and
# the other ones apart, so that the claim taking every lane once the budget runs out
# does not wait for a poll interval.
ALL, PAID, FREE = "all", "paid", "free"


class ChannelState:
    """A channel's token bucket, sliding window, per-key buckets, per-recipient limits,
    sends in flight, idle marks, whether this worker holds its exclusive lease, and its
    paid lanes' pacer."""

    __slots__ = (
        "_idle",
        "_room_rest",
        "bucket",
        "busy",
        "held",
        "keys",
        "name",
        "paid",
        "plan",
        "recipients",
        "window",
    )

    def __init__(self, name: str, plan: ChannelPlan, now: float) -> None:
        self.name = name
        self.plan = plan
        self.bucket = TokenBucket(plan.rate, now)
        self.window = SlidingWindow(plan.window) if plan.window else None
        self.keys = KeyBuckets(plan.key_limits) if plan.key_limits is not None else None
        limits = plan.per_recipient
        self.recipients = RecipientGauge(limits) if limits is not None else None
        paid = plan.paid
        self.paid = PaidPacer(paid.rate, paid.max_per_day, now) if paid is not None else None
        self.busy = 0  # sends in flight
        self.held = plan.exclusive is None  # an exclusive channel waits for its lease
        self._idle: dict[str, tuple[Generation, float]] = {}  # mark -> (generation, until)
        # (the channel's generation, until, whether until is when tokens are due)
        self._room_rest: tuple[int, float, bool] | None = None

    def slots(self) -> int:
        """How many sends to claim for at most now (0: leave the channel this round).

        A busy channel waits for a quarter of its slots rather than claim one or two at
        a time: a claim costs the same for one row as for fifty (at 1,500 sends/s it was
        a claim per 1.6 sends). A send that finishes wakes the loop."""
        concurrency = self.plan.concurrency
        free = concurrency - self.busy
        if free <= 0 or not self.held or (self.busy and free < concurrency // 4):
            return 0
        return free

    def blocked(self, now: float) -> tuple[set[str], float]:
        """Recipient keys that must not be claimed now, and when the first frees up."""
        if self.keys is None:
            return set(), 0.0
        blocked = self.keys.blocked(now)
        return blocked, (self.keys.wait_time(now) if blocked else 0.0)

    def room(self, now: float) -> tuple[RecipientRoom | None, float]:
        """Each recipient's room for the claim (None: no per-recipient limits), and when
        the first left out for want of tokens may send again."""
        if self.recipients is None:
            return None, 0.0
        return self.recipients.room(now)

    def fit(self, claimed: list[Delivery], now: float) -> tuple[list[Delivery], list[Delivery]]:
        """(the claimed deliveries that may start, those past their recipient's room)."""
        if self.recipients is None:
            return claimed, []
        return self.recipients.fit(claimed, now)

    def allowed(self, now: float, free: int, batch: int) -> tuple[int, float]:
        """(how many free-rate sends may start now, else how long until one may)."""
        allowed = min(free, self.bucket.available(now), batch)
        if self.window is not None:
            allowed = min(allowed, self.window.available(now))
        if allowed > 0:
            return allowed, 0.0
        wait = self.bucket.wait_time(now)
        if self.window is not None:
            wait = max(wait, self.window.wait_time(now))
        return 0, wait

    def reserve(self, n: int, now: float) -> None:
        """Take ``n`` tokens for a claim of at most ``n``, before it runs."""
        self.bucket.take(n, now)

    def claimed(self, asked: int, got: int) -> None:
        """The claim found ``got``: tokens for work that did not exist go back."""
        self.bucket.give_back(asked - got)
        if self.window is not None:
            self.window.start(got)

    def started(self, delivery: Delivery, now: float) -> None:
        """A send begins; one that makes several messages spends a token for each, in
        its chat's bucket and (beyond the one its claim took) in the channel's."""
        n = max(1, self.plan.messages(delivery.payload)) if self.plan.messages else 1
        if n > 1:
            self.bucket.take(n - 1, now)
        if self.keys is not None and delivery.ordering_key:
            self.keys.take(delivery.ordering_key, now, n)
        if self.recipients is not None:
            self.recipients.started(delivery, now)
        self.busy += 1

    def finished(self, delivery: Delivery, now: float, *, paid: bool) -> None:
        """A send ended: its slot is free, and it counts in its window for a second more."""
        self.busy -= 1
        if self.recipients is not None:
            self.recipients.finished(delivery)
            if self.recipients.ready(self.recipients.limits.key(delivery), now):
                self._room_rest = None
        if paid:
            assert self.paid is not None
            self.paid.finish(now)
        elif self.window is not None:
            self.window.finish(now)

    def respect(self, delivery: Delivery, outcome: RetryAfter, now: float) -> None:
        """A provider's 429 pauses what it concerns: one chat, one recipient (a webhook
        endpoint), or the whole channel.

        Without a scope only the delivery itself waits (the queue rescheduled it)."""
        if outcome.scope == "chat" and self.keys is not None and delivery.ordering_key:
            self.keys.pause(delivery.ordering_key, outcome.seconds, now)
        elif outcome.scope == "recipient" and self.recipients is not None:
            self.recipients.pause(delivery, outcome.seconds, now)
        elif outcome.scope in ("bot", "channel"):
            self.bucket.pause(outcome.seconds, now)

    # -- idle marks: a claim that found nothing is not repeated until work may be due --

    def is_idle(self, mark: str, generation: Generation, now: float) -> bool:
        idle = self._idle.get(mark)
        if idle is None:
            return False
        if idle[0] == generation and now < idle[1]:
            return True
        del self._idle[mark]
        return False

    def rest(self, mark: str, generation: Generation, until: float) -> None:
        """Skip this (write-locking) claim until work arrives for the channel, one of
        its sends is recorded, or ``until``."""
        self._idle[mark] = (generation, until)

    def wake(self) -> None:
        """One of its sends was recorded, which frees its key: claim again."""
        if self._idle:
            self._idle.clear()

    # -- the room rest: no claim while every recipient with work may start nothing --

    def waits_for_room(self, generation: Generation, now: float) -> tuple[bool, float]:
        """(whether a room rest holds the claim back, the seconds until the tokens it
        waits for are due: 0 when a finished send or the poll ends it). Unlike an idle
        mark it ignores the generation every process's enqueue bumps (on PostgreSQL each
        alert's NOTIFY), and a recorded send: only work queued for this channel, a
        recipient ready again (``finished``), or its end lifts it."""
        rest = self._room_rest
        if rest is None:
            return False, 0.0
        if rest[0] == generation[1] and now < rest[1]:
            return True, rest[1] - now if rest[2] else 0.0
        self._room_rest = None
        return False, 0.0

    def rest_for_room(
        self, generation: Generation, now: float, tokens_in: float, poll: float
    ) -> None:
        """A claim that left out the recipients without room found nothing: the work
        left is theirs, so do not ask again (a write, and a scan of their backlog) until
        one is ready (``tokens_in`` seconds, if tokens are what it lacks), work arrives
        for the channel, or the poll interval ends."""
        timed = 0 < tokens_in < poll
        self._room_rest = (generation[1], now + (tokens_in if timed else poll), timed)

    def clear_in(self, now: float) -> float:
        """Seconds until every send has left its window (for a lease hand-over)."""
        windows = [self.window, self.paid.window if self.paid is not None else None]
        return max((w.clear_in(now) for w in windows if w is not None), default=0.0)
