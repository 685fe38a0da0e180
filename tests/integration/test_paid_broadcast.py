"""Paid broadcasts: paid lanes at up to 1,000/s, the free ones at 30/s, a daily budget.

The production wiring (``Runtime.worker()`` and a real ``TelegramSender``) against the
fake Bot API over loopback, which enforces Telegram's limits: 1,000/s for messages
with ``allow_paid_broadcast``, 30/s for the others, 1/s per private chat and 20/min per
group, answering 429 past them. Worker, queue and server share one injected clock, so
the rates are exact and the tests take no wall-clock seconds to wait.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta
from typing import Any

import pytest

from herald.channels.telegram import TelegramSender
from herald.clock import FakeClock
from herald.config import Settings, TelegramChannel
from herald.db import migrate
from herald.queue import Lane, NewDelivery
from herald.queue.budgets import DailyBudgets
from herald.runtime import Runtime
from tests.support.fake_telegram import FakeTelegram, RecordedRequest
from tests.support.logs import log_lines

PAID = {"text": "Paid\\!"}
FREE = {"text": "Free\\."}


@pytest.fixture
async def tg(clock: FakeClock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(enforce_limits=True, clock=clock.monotonic) as server:
        yield server


def runtime_for(database_url: str, tg: FakeTelegram, clock: FakeClock, **telegram: Any) -> Runtime:
    settings = Settings(
        _env_file=None,
        env="dev",
        database_url=database_url,
        telegram_bot_token=tg.token,
        telegram_api_url=tg.url,
        telegram_updates="off",
        telegram=TelegramChannel(paid_broadcast=["campaign"], **telegram),
    )
    sender = TelegramSender(tg.token, api_url=tg.url)
    return Runtime.build(settings, clock=clock, senders={"telegram": sender})


def deliveries(lane: Lane, chats: Iterable[int], payload: dict[str, str]) -> list[NewDelivery]:
    return [NewDelivery("telegram", str(chat), payload, lane=lane) for chat in chats]


def sends(tg: FakeTelegram, *, paid: bool) -> list[RecordedRequest]:
    return [
        r
        for r in tg.requests_for("sendMessage")
        if bool(r.params.get("allow_paid_broadcast")) == paid
    ]


def most_in_a_second(requests: list[RecordedRequest]) -> int:
    times = sorted(r.at for r in requests)
    start, most = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0 + 1e-9:
            start += 1
        most = max(most, end - start + 1)
    return most


def metric(runtime: Runtime, name: str) -> float | None:
    return runtime.metrics.registry.get_sample_value(name, {"channel": "telegram"})


async def test_the_paid_lane_flows_at_a_thousand_a_second_and_the_free_one_at_thirty(
    database_url: str, tg: FakeTelegram, clock: FakeClock
) -> None:
    runtime = runtime_for(database_url, tg, clock)
    try:
        await migrate.upgrade(runtime.db)
        await runtime.queue.enqueue_many(
            deliveries(Lane.CAMPAIGN, range(100_001, 101_201), PAID)
            + deliveries(Lane.TRANSACTIONAL, range(900_001, 900_091), FREE)
        )
        summary = await runtime.worker().drain()
    finally:
        await runtime.close()

    assert summary.sent == 1290
    assert [r.status for r in tg.requests_for("sendMessage")] == [200] * 1290  # no 429
    paid, free = sends(tg, paid=True), sends(tg, paid=False)
    assert {r.chat_id for r in paid} == {str(c) for c in range(100_001, 101_201)}
    assert len(free) == 90 and all(r.chat_id and r.chat_id[0] == "9" for r in free)
    paid_span = max(r.at for r in paid) - min(r.at for r in paid)
    assert len(paid) / paid_span > 900  # 1,200 in about a second: far above 30/s
    assert most_in_a_second(paid) <= 1000
    assert most_in_a_second(free) <= 30
    # the bucket's burst may go at once, the rest one each 1/30 s
    pace = runtime.settings.telegram
    free_span = max(r.at for r in free) - min(r.at for r in free)
    assert free_span >= (90 - pace.burst) / pace.rate_per_second - 1e-6
    assert metric(runtime, "paid_broadcast_sent_total") == 1200
    assert metric(runtime, "paid_broadcast_budget_left") is None  # no cap, no gauge


async def test_a_spent_budget_falls_back_to_the_free_rate_and_holds_across_restarts(
    database_url: str,
    tg: FakeTelegram,
    clock: FakeClock,
    json_logs: pytest.CaptureFixture[str],
) -> None:
    runtime = runtime_for(database_url, tg, clock, paid_max_per_day=250)
    try:
        await migrate.upgrade(runtime.db)
        await runtime.queue.enqueue_many(deliveries(Lane.CAMPAIGN, range(1, 401), PAID))
        assert (await runtime.worker().drain()).sent == 400
        first_day = clock.now().date()

        paid, free = sends(tg, paid=True), sends(tg, paid=False)
        assert (len(paid), len(free)) == (250, 150)
        assert max(r.at for r in paid) <= min(r.at for r in free)  # paid first, then free
        assert most_in_a_second(free) <= 30
        assert [r.status for r in tg.requests_for("sendMessage")] == [200] * 400
        assert metric(runtime, "paid_broadcast_sent_total") == 250
        assert metric(runtime, "paid_broadcast_budget_left") == 0
        assert metric(runtime, "paid_broadcast_budget_spent_total") == 1
        spent = [e for e in log_lines(json_logs) if e["event"] == "paid_budget_spent"]
        assert len(spent) == 1 and spent[0]["max_per_day"] == 250
        budgets = DailyBudgets(runtime.db)
        assert await budgets.used("telegram-paid:" + str(runtime.bot_key), first_day) == 250

        # A restarted worker the same day (once the dead one's lease ran out) finds the
        # budget spent in the database.
        clock.advance(16)
        await runtime.queue.enqueue_many(deliveries(Lane.CAMPAIGN, range(401, 411), PAID))
        assert (await runtime.worker().drain()).sent == 10
        assert len(sends(tg, paid=True)) == 250

        # The next UTC day has a fresh budget.
        midnight = (clock.now() + timedelta(days=1)).replace(hour=0, minute=0, second=1)
        clock.advance((midnight - clock.now()).total_seconds())  # the lease too
        await runtime.queue.enqueue_many(deliveries(Lane.CAMPAIGN, range(411, 421), PAID))
        assert (await runtime.worker().drain()).sent == 10
        assert len(sends(tg, paid=True)) == 260
    finally:
        await runtime.close()
    assert tg.token not in json.dumps(log_lines(json_logs))


async def test_per_chat_limits_hold_for_paid_messages(
    database_url: str, tg: FakeTelegram, clock: FakeClock
) -> None:
    runtime = runtime_for(database_url, tg, clock)
    chats = ["42", "43", "-1001234"]
    try:
        await migrate.upgrade(runtime.db)
        await runtime.queue.enqueue_many(
            NewDelivery("telegram", chat, PAID, lane=Lane.CAMPAIGN)
            for _ in range(6)
            for chat in chats
        )
        assert (await runtime.worker().drain()).sent == 18
    finally:
        await runtime.close()

    assert [r.status for r in tg.requests_for("sendMessage")] == [200] * 18
    assert len(sends(tg, paid=True)) == 18
    for chat in ("42", "43"):
        times = [r.at for r in tg.requests_for("sendMessage") if r.chat_id == chat]
        assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(times))
    group = [r.at for r in tg.requests_for("sendMessage") if r.chat_id == "-1001234"]
    start = group[0]
    for i, t in enumerate(group):  # a burst of 3, then one every 3 s (20/min)
        assert i + 1 <= 3 + (t - start) / 3 + 1e-9


async def test_without_paid_lanes_nothing_is_sent_paid(
    database_url: str, tg: FakeTelegram, clock: FakeClock
) -> None:
    runtime = runtime_for(database_url, tg, clock)
    runtime.settings.telegram.paid_broadcast.clear()
    try:
        await migrate.upgrade(runtime.db)
        await runtime.queue.enqueue_many(deliveries(Lane.CAMPAIGN, range(1, 61), PAID))
        assert (await runtime.worker().drain()).sent == 60
    finally:
        await runtime.close()
    assert sends(tg, paid=True) == []
    assert most_in_a_second(sends(tg, paid=False)) <= 30
    assert [r.status for r in tg.requests_for("sendMessage")] == [200] * 60
