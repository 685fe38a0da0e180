"""The worker against a scripted sender, through drain mode and the long-running loop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from sqlalchemy import text

from herald.clock import FakeClock, SystemClock
from herald.db import Database, migrate
from herald.metrics import Metrics
from herald.queue import (
    DeliveryQueue,
    Lane,
    Permanent,
    RetryAfter,
    State,
    Transient,
    admin,
)
from herald.worker import ChannelPlan, RateLimit, Worker, WorkerOptions
from herald.worker.plan import UNLIMITED
from tests.support.deliveries import telegram_text
from tests.support.logs import log_lines
from tests.support.senders import ScriptedSender


def make_worker(
    queue: DeliveryQueue,
    sender: ScriptedSender,
    *,
    rate: RateLimit = UNLIMITED,
    concurrency: int = 32,
    metrics: Metrics | None = None,
    **options: Any,
) -> Worker:
    plan = ChannelPlan(sender, rate=rate, concurrency=concurrency)
    return Worker(
        queue, {"telegram": plan}, options=WorkerOptions(**options), metrics=metrics, worker_id="w"
    )


async def state_of(queue: DeliveryQueue, delivery_id: int) -> State:
    d = await queue.get(delivery_id)
    assert d is not None
    return d.state


async def test_drain_sends_everything_due_and_records_outcomes(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    sender = ScriptedSender(
        "telegram",
        clock,
        {
            "flaky": [Transient("502 Bad Gateway")],
            "blocked": [Permanent("403 Forbidden: bot was blocked by the user")],
            "crashes": [RuntimeError("sender bug")],
        },
    )
    ids = {
        r: (await queue.enqueue(telegram_text(r))).id for r in ("ok", "flaky", "blocked", "crashes")
    }
    metrics = Metrics()
    worker = make_worker(queue, sender, metrics=metrics)

    summary = await worker.drain()

    assert (summary.claimed, summary.sent, summary.retried, summary.dead) == (4, 1, 2, 1)
    assert await state_of(queue, ids["ok"]) is State.SENT
    assert await state_of(queue, ids["blocked"]) is State.DEAD
    crashed = await queue.get(ids["crashes"])
    assert crashed is not None
    assert crashed.state is State.PENDING
    assert crashed.last_error == "sender error: RuntimeError: sender bug"

    clock.advance(1)  # the first backoff
    summary = await worker.drain()
    assert summary.sent == 2
    assert await state_of(queue, ids["flaky"]) is State.SENT

    text = generate_latest(metrics.registry).decode()
    assert 'herald_deliveries_completed_total{channel="telegram",lane="transactional"} 3.0' in text
    assert (
        'herald_deliveries_dead_lettered_total{channel="telegram",lane="transactional"} 1.0' in text
    )
    assert 'reason="transient"} 2.0' in text


async def test_retry_after_is_honoured_to_the_second(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    sender = ScriptedSender("telegram", clock, {"chat": [RetryAfter(30), RetryAfter(30)]})
    delivery_id = (await queue.enqueue(telegram_text("chat"))).id
    worker = make_worker(queue, sender)

    await worker.drain()
    clock.advance(29.9)
    assert (await worker.drain()).claimed == 0
    clock.advance(0.1)
    await worker.drain()
    clock.advance(30)
    await worker.drain()

    assert await state_of(queue, delivery_id) is State.SENT
    assert [attempt for _, attempt, _ in sender.calls] == [1, 1, 1]  # retry-after is free
    gaps = [b[2] - a[2] for a, b in zip(sender.calls, sender.calls[1:], strict=False)]
    assert all(gap >= 30 for gap in gaps)


async def test_rate_limit_is_applied_when_claiming(queue: DeliveryQueue, clock: FakeClock) -> None:
    await queue.enqueue_many(telegram_text(f"chat-{i}") for i in range(50))
    sender = ScriptedSender("telegram", clock)
    worker = make_worker(queue, sender, rate=RateLimit(per_second=10, burst=5))

    summary = await worker.drain()

    assert summary.sent == 50
    times = [t for _, _, t in sender.calls]
    # Never more than burst + rate * elapsed sends by any moment.
    for i, t in enumerate(times):
        assert i + 1 <= 5 + 10 * t + 1e-9
    assert times[-1] == pytest.approx(4.5)


async def test_transactional_alerts_overtake_a_queued_campaign(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    await queue.enqueue_many(telegram_text(f"member-{i}", lane=Lane.CAMPAIGN) for i in range(20))
    await queue.enqueue(telegram_text("trader"))
    sender = ScriptedSender("telegram", clock)
    worker = make_worker(queue, sender, rate=RateLimit(per_second=1, burst=1))

    await worker.drain()

    assert sender.calls[0][0] == "trader"


async def test_one_send_at_a_time_per_chat_under_concurrency(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    await queue.enqueue_many(telegram_text(f"chat-{i % 3}") for i in range(30))
    sender = ScriptedSender("telegram", SystemClock(), delay=0.001)
    worker = make_worker(queue, sender, concurrency=16)

    assert (await worker.drain()).sent == 30
    assert sender.max_running_per_key == 1
    # Per chat, the messages went out in the order they were queued.
    order = [r for r, _, _ in sender.calls]
    assert [r for r in order if r == "chat-0"] == ["chat-0"] * 10


async def test_run_sends_as_work_arrives_and_stops_cleanly(db: Database) -> None:
    queue = DeliveryQueue(db, SystemClock())
    sender = ScriptedSender("telegram", SystemClock())
    worker = make_worker(queue, sender, poll_interval=5.0)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))

    delivery_id = (await queue.enqueue(telegram_text("chat"))).id  # the local wake-up, not polling
    async with asyncio.timeout(3):
        while await state_of(queue, delivery_id) is not State.SENT:  # noqa: ASYNC110 (polls the DB)
            await asyncio.sleep(0.02)
    stop.set()
    async with asyncio.timeout(5):
        await task


async def test_shutdown_releases_sends_that_outlive_the_grace_period(db: Database) -> None:
    queue = DeliveryQueue(db, SystemClock())
    started = asyncio.Event()
    sender = ScriptedSender("telegram", SystemClock(), delay=30, on_send=lambda _: started.set())
    worker = make_worker(queue, sender, shutdown_grace=0.1)
    delivery_id = (await queue.enqueue(telegram_text("chat"))).id
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    async with asyncio.timeout(5):
        await started.wait()

    stop.set()
    async with asyncio.timeout(5):
        await task

    released = await queue.get(delivery_id)
    assert released is not None
    assert (released.state, released.attempts, released.locked_by) == (State.PENDING, 0, None)


async def test_a_killed_worker_loses_nothing(db: Database, clock: FakeClock) -> None:
    queue = DeliveryQueue(db, clock, lease_seconds=60)
    await queue.enqueue_many(telegram_text(f"chat-{i}") for i in range(10))
    # A worker claims and then vanishes (as under SIGKILL): no outcome, no release.
    await queue.claim("telegram", 10, "killed")
    sender = ScriptedSender("telegram", clock)
    survivor = make_worker(queue, sender)

    assert (await survivor.drain()).sent == 0  # leases still held
    clock.advance(61)
    summary = await survivor.drain()

    assert (summary.rescued, summary.sent) == (10, 10)
    stats = await admin.stats(queue)
    assert stats.counts == {("transactional", "sent"): 10}


async def test_recording_backs_off_while_the_database_is_away_and_catches_up(
    tmp_path: Path, json_logs: pytest.CaptureFixture[str]
) -> None:
    """A send that finished while the database was gone is recorded once it is back; in
    between, the 20 ms flush tick retries (and logs) a few times a second, not fifty."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/herald.db")
    await migrate.upgrade(db)
    queue = DeliveryQueue(db, SystemClock())
    sending = asyncio.Event()
    sender = ScriptedSender("telegram", SystemClock(), delay=0.2, on_send=lambda _: sending.set())
    worker = make_worker(queue, sender, poll_interval=1.0)
    delivery_id = (await queue.enqueue(telegram_text("chat"))).id
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        async with asyncio.timeout(5):
            await sending.wait()
        async with db.write() as conn:  # the queue's table is gone: every write fails
            await conn.execute(text("ALTER TABLE deliveries RENAME TO deliveries_away"))
        await asyncio.sleep(2.2)  # the send finishes at 0.2 s; 2 s of failed flushes
        failed = [e for e in log_lines(json_logs) if e.get("task") == "_flush_tick"]
        async with db.write() as conn:
            await conn.execute(text("ALTER TABLE deliveries_away RENAME TO deliveries"))
        async with asyncio.timeout(3):
            while await state_of(queue, delivery_id) is not State.SENT:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        async with asyncio.timeout(5):
            await task
        await db.dispose()

    # 0.02, 0.04, 0.08 ... capped at the poll interval: about 7 tries in 2 s (100 without).
    assert 3 <= len(failed) <= 10, len(failed)
    assert len(sender.calls) == 1  # recorded late, never sent twice
