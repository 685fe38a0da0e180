"""Paid lanes: some lanes of a channel sent faster, for a fee, within a daily budget.

Telegram sells speed: a message sent with ``allow_paid_broadcast`` may go out at up to
1,000/s instead of the bot's free 30/s, for Telegram Stars. The worker knows nothing
of Stars or Telegram: a channel may name lanes whose deliveries go through a second
pacer (their own token bucket and sliding window) and a second ``Sender`` (the same
channel, sending paid), while the budget lasts. Per-recipient limits hold for both.

``PaidPacer`` is the whole decision, pure like ``ratelimit.py`` (time and day passed
in): how many paid sends may start now, how much budget to reserve from the database
first, when the day's budget is spent (the lanes then fall back to the free limits
until the next UTC day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from herald.channels import Sender
from herald.queue import Lane
from herald.worker.ratelimit import RateLimit, SlidingWindow, TokenBucket

# Budget is reserved from the database in chunks of at least this many sends, so a busy
# paid lane writes the counter a few times a second, not once per claim.
RESERVE_CHUNK = 100


@dataclass(frozen=True, slots=True)
class PaidLanes:
    """A channel's paid lanes: which, how fast, how many a UTC day (0: no cap).

    ``budget_name`` names the day's counter in the database (one per bot), ``sender``
    sends paid."""

    lanes: frozenset[Lane]
    rate: RateLimit
    max_per_day: int
    budget_name: str
    sender: Sender


class PaidPacer:
    """Pacing and budget of one channel's paid lanes (pure; the caller does the I/O).

    The budget is reserved in the database before it is spent (``to_reserve`` says how
    much to ask for, ``reserved`` takes the answer); what is reserved and unspent is
    the ``allowance``. A send that Telegram refused is refunded to the allowance.
    """

    def __init__(self, rate: RateLimit, max_per_day: int, now: float) -> None:
        self.cap = max_per_day
        self.bucket = TokenBucket(rate, now)
        self.window = SlidingWindow(max(int(rate.per_second), 1), 1.0)
        self.day: date | None = None
        self.allowance = 0  # reserved in the database, not yet spent
        self.used = 0  # the database's count for the day, as last seen
        self.spent = False  # the database has nothing left to give today

    def new_day(self, today: date) -> bool:
        """Start ``today``'s budget if the day changed (what was reserved is gone)."""
        if today == self.day:
            return False
        self.day, self.allowance, self.used, self.spent = today, 0, 0, False
        return True

    @property
    def active(self) -> bool:
        """Paid lanes are paid now; False once the day's budget is gone."""
        return self.cap == 0 or self.allowance > 0 or not self.spent

    @property
    def left(self) -> int | None:
        """Budget left today (None without a cap)."""
        return None if self.cap == 0 else max(self.cap - self.used, 0) + self.allowance

    def wanted(self, now: float, free_slots: int, batch: int) -> int:
        """How many paid sends the rate allows to start now (budget not yet counted)."""
        return max(
            min(free_slots, batch, self.bucket.available(now), self.window.available(now)), 0
        )

    def wait_time(self, now: float) -> float:
        return max(self.bucket.wait_time(now), self.window.wait_time(now))

    def to_reserve(self, wanted: int) -> int:
        """How much budget to ask the database for before ``wanted`` sends (0: none)."""
        if self.cap == 0 or self.spent or self.allowance >= wanted:
            return 0
        return max(wanted - self.allowance, RESERVE_CHUNK)

    def reserved(self, asked: int, granted: int, used: int) -> None:
        self.allowance += granted
        self.used = used
        if granted < asked or (self.cap and used >= self.cap):
            self.spent = True  # what is left of the allowance is the day's last

    def affordable(self, wanted: int) -> int:
        return wanted if self.cap == 0 else min(wanted, self.allowance)

    def start(self, claimed: int, now: float) -> None:
        """``claimed`` paid sends start now."""
        self.bucket.take(claimed, now)
        self.window.start(claimed)
        if self.cap:
            self.allowance -= claimed

    def finish(self, now: float) -> None:
        self.window.finish(now)

    def refund(self, today: date) -> None:
        """A paid send Telegram refused: it cost nothing, its budget is spendable again."""
        if self.cap and today == self.day:
            self.allowance += 1
