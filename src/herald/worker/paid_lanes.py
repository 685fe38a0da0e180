"""A worker's paid lanes at work: the budget in the database, the metrics, the log line.

``paid.PaidPacer`` decides (one per channel, in its ``ChannelState``); this does the
I/O around it for the dispatcher (reserve the day's budget, count and refund sends,
say once a day that the budget is spent) so that ``dispatcher.py`` only claims and
starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import structlog

from herald.clock import Clock
from herald.db import Database
from herald.metrics import Metrics
from herald.queue import Outcome, Permanent, RetryAfter, Sent
from herald.queue.budgets import DailyBudgets
from herald.worker.channel import ChannelState
from herald.worker.paid import PaidLanes, PaidPacer

log = structlog.get_logger("herald.worker")


def _paid(state: ChannelState) -> tuple[PaidLanes, PaidPacer]:
    assert state.plan.paid is not None and state.paid is not None, "a channel without paid lanes"
    return state.plan.paid, state.paid


class PaidDispatch:
    def __init__(self, db: Database, clock: Clock, metrics: Metrics) -> None:
        self._clock = clock
        self._metrics = metrics
        self._budgets = DailyBudgets(db)
        self._spent_days: set[tuple[str, date]] = set()  # said once a day

    async def active(self, state: ChannelState) -> bool:
        """Whether the paid lanes are paid now: a new UTC day starts a new budget, and a
        spent one sends them back to the free limits (said once, in a log line and the
        metrics)."""
        lanes, pacer = _paid(state)
        today = self._clock.now().date()
        if pacer.new_day(today) and pacer.cap:
            used = await self._budgets.used(lanes.budget_name, today)
            pacer.reserved(0, 0, used)
            self._gauge(state)
        if pacer.active:
            return True
        if (state.name, today) not in self._spent_days:
            self._spent_days.add((state.name, today))
            self._metrics.paid_budget_spent.labels(state.name).inc()
            self._gauge(state)
            log.warning(
                "paid_budget_spent",
                channel=state.name,
                day=today.isoformat(),
                max_per_day=pacer.cap,
                hint="paid lanes send at the free limits until the next UTC day",
            )
        return False

    async def allowed(
        self, state: ChannelState, free: int, batch: int, now: float
    ) -> tuple[int, float]:
        """(how many paid sends may start now, else how long until one may)."""
        lanes, pacer = _paid(state)
        wanted = pacer.wanted(now, free, batch)
        if wanted <= 0:
            return 0, pacer.wait_time(now)
        if (ask := pacer.to_reserve(wanted)) and pacer.day is not None:
            granted, used = await self._budgets.reserve(
                lanes.budget_name, pacer.day, ask, pacer.cap
            )
            pacer.reserved(ask, granted, used)
            self._gauge(state)
        return pacer.affordable(wanted), 0.0

    def started(self, state: ChannelState, claimed: int, now: float) -> None:
        _lanes, pacer = _paid(state)
        pacer.start(claimed, now)
        if claimed and pacer.cap:
            self._gauge(state)

    def finished(self, state: ChannelState, outcome: Outcome | None) -> None:
        """Count a finished paid send. A send the provider refused outright cost nothing
        and is refunded; a transient failure may be a timeout of a message that did go
        out, so it stays counted."""
        _lanes, pacer = _paid(state)
        if isinstance(outcome, Sent):
            self._metrics.paid_sent.labels(state.name).inc()
        elif isinstance(outcome, Permanent | RetryAfter):
            pacer.refund(self._clock.now().date())

    async def give_back(self, states: Iterable[ChannelState]) -> None:
        """Return the budget reserved and not spent, so that a restart can use it."""
        for state in states:
            pacer = state.paid
            if pacer is None or not pacer.cap or pacer.day is None or pacer.allowance <= 0:
                continue
            lanes, _pacer = _paid(state)
            await self._budgets.give_back(lanes.budget_name, pacer.day, pacer.allowance)
            pacer.allowance = 0

    def _gauge(self, state: ChannelState) -> None:
        if state.paid is not None and (left := state.paid.left) is not None:
            self._metrics.paid_budget_left.labels(state.name).set(left)
