"""A worker's paid lanes at work: the pacers, the budget in the database, the metrics.

``paid.PaidPacer`` decides; this does the I/O around it for the dispatcher (reserve
the day's budget, count and refund sends, say once a day that the budget is spent)
so that ``dispatcher.py`` only claims and starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import structlog

from herald.clock import Clock
from herald.db import Database
from herald.metrics import Metrics
from herald.queue import Delivery, Outcome, Permanent, RetryAfter, Sent
from herald.queue.budgets import DailyBudgets
from herald.worker.paid import PaidLanes, PaidPacer

log = structlog.get_logger("herald.worker")


class PaidDispatch:
    def __init__(
        self, paid: Mapping[str, PaidLanes], db: Database, clock: Clock, metrics: Metrics
    ) -> None:
        self.lanes = dict(paid)
        self._clock = clock
        self._metrics = metrics
        now = clock.monotonic()
        self._pacers = {ch: PaidPacer(p.rate, p.max_per_day, now) for ch, p in paid.items()}
        self._budgets = DailyBudgets(db)
        self._in_flight: set[int] = set()  # delivery ids sent paid, not yet finished
        self._spent_days: set[tuple[str, date]] = set()  # said once a day

    async def active(self, channel: str) -> bool:
        """Whether the paid lanes are paid now: a new UTC day starts a new budget, and a
        spent one sends them back to the free limits (said once, in a log line and the
        metrics)."""
        pacer = self._pacers[channel]
        today = self._clock.now().date()
        if pacer.new_day(today) and pacer.cap:
            used = await self._budgets.used(self.lanes[channel].budget_name, today)
            pacer.reserved(0, 0, used)
            self._gauge(channel)
        if pacer.active:
            return True
        if (channel, today) not in self._spent_days:
            self._spent_days.add((channel, today))
            self._metrics.paid_budget_spent.labels(channel).inc()
            self._gauge(channel)
            log.warning(
                "paid_budget_spent",
                channel=channel,
                day=today.isoformat(),
                max_per_day=pacer.cap,
                hint="paid lanes send at the free limits until the next UTC day",
            )
        return False

    async def allowed(self, channel: str, free: int, batch: int, now: float) -> tuple[int, float]:
        """(how many paid sends may start now, else how long until one may)."""
        pacer = self._pacers[channel]
        wanted = pacer.wanted(now, free, batch)
        if wanted <= 0:
            return 0, pacer.wait_time(now)
        if (ask := pacer.to_reserve(wanted)) and pacer.day is not None:
            name = self.lanes[channel].budget_name
            granted, used = await self._budgets.reserve(name, pacer.day, ask, pacer.cap)
            pacer.reserved(ask, granted, used)
            self._gauge(channel)
        return pacer.affordable(wanted), 0.0

    def started(self, channel: str, claimed: list[Delivery], now: float) -> None:
        pacer = self._pacers[channel]
        pacer.start(len(claimed), now)
        self._in_flight.update(d.id for d in claimed)
        if claimed and pacer.cap:
            self._gauge(channel)

    def finished(self, delivery: Delivery, outcome: Outcome | None) -> bool:
        """Count a finished paid send (False: it was not one). A send the provider refused
        outright cost nothing and is refunded; a transient failure may be a timeout of a
        message that did go out, so it stays counted."""
        if delivery.id not in self._in_flight:
            return False
        self._in_flight.discard(delivery.id)
        pacer = self._pacers[delivery.channel]
        pacer.finish(self._clock.monotonic())
        if isinstance(outcome, Sent):
            self._metrics.paid_sent.labels(delivery.channel).inc()
        elif isinstance(outcome, Permanent | RetryAfter):
            pacer.refund(self._clock.now().date())
        return True

    def clear_in(self, now: float) -> float:
        """Seconds until every paid send has left its window (for a lease hand-over)."""
        return max((p.window.clear_in(now) for p in self._pacers.values()), default=0.0)

    async def give_back(self) -> None:
        """Return the budget reserved and not spent, so that a restart can use it."""
        for channel, pacer in self._pacers.items():
            if pacer.cap and pacer.day is not None and pacer.allowance > 0:
                name = self.lanes[channel].budget_name
                await self._budgets.give_back(name, pacer.day, pacer.allowance)
                pacer.allowance = 0

    def _gauge(self, channel: str) -> None:
        if (left := self._pacers[channel].left) is not None:
            self._metrics.paid_budget_left.labels(channel).set(left)
