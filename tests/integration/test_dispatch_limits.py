"""Per-chat Telegram limits at dispatch time, 429 pauses, and one dispatcher per bot."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import timedelta

import pytest

from herald.clock import FakeClock, SystemClock
from herald.db import Database
from herald.queue import DeliveryQueue, NewDelivery, RetryAfter, State, admin
from herald.queue.leases import Leases
from herald.worker import ChannelPlan, Worker, WorkerOptions
from herald.worker.telegram import TelegramChatLimits
from tests.support.senders import ScriptedSender

LIMITS = TelegramChatLimits()


def tg(chat: str, n: int = 0) -> NewDelivery:
    return NewDelivery("telegram", chat, {"text": f"m{n}"})


def send_times(sender: ScriptedSender, chat: str) -> list[float]:
    return [t for recipient, _, t in sender.calls if recipient == chat]


async def test_private_chats_get_one_message_a_second_and_groups_twenty_a_minute(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    await queue.enqueue_many(tg(chat, n) for n in range(6) for chat in ("42", "-1001", "43"))
    sender = ScriptedSender("telegram", clock)
    worker = Worker(queue, {"telegram": ChannelPlan(sender, key_limits=LIMITS)})

    assert (await worker.drain()).sent == 18

    for chat in ("42", "43"):
        times = send_times(sender, chat)
        assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(times))
    group = send_times(sender, "-1001")
    # A burst of 3, then one every 3 s: never more than 3 + t/3 by time t.
    for i, t in enumerate(group):
        assert i + 1 <= 3 + t / 3 + 1e-9
    assert group[-1] >= 9.0 - 1e-9


async def test_a_429_pauses_only_the_chat_it_concerns(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    await queue.enqueue_many([tg("42", 0), tg("42", 1), tg("43", 0), tg("43", 1)])
    sender = ScriptedSender("telegram", clock, {"42": [RetryAfter(30, scope="chat")]})
    worker = Worker(queue, {"telegram": ChannelPlan(sender, key_limits=LIMITS)})

    await worker.drain()

    chat_43 = send_times(sender, "43")
    assert len(chat_43) == 2 and chat_43[-1] < 5  # the other chat went on
    chat_42 = send_times(sender, "42")
    assert len(chat_42) == 3
    assert chat_42[1] - chat_42[0] >= 30  # nothing to 42 before retry_after passed


async def test_one_dispatcher_per_bot_across_workers(db: Database, clock: FakeClock) -> None:
    queue = DeliveryQueue(db, clock)
    leases = Leases(db, clock)
    senders = [ScriptedSender("telegram", clock) for _ in range(2)]
    first, second = (
        Worker(
            queue,
            {"telegram": ChannelPlan(s, exclusive="telegram:bot-1")},
            leases=leases,
            worker_id=f"w{i}",
        )
        for i, s in enumerate(senders)
    )
    await queue.enqueue_many(tg(str(i)) for i in range(5))
    assert (await first.drain()).sent == 5

    await queue.enqueue_many(tg(str(i)) for i in range(5, 10))
    assert (await second.drain()).sent == 0  # first still holds the lease
    clock.advance(16)  # first has died: its lease runs out
    assert (await second.drain()).sent == 5
    assert (len(senders[0].calls), len(senders[1].calls)) == (5, 5)
    assert (await admin.stats(queue)).total(State.SENT) == 10


async def test_a_stopping_dispatcher_keeps_the_bot_until_its_last_second_has_passed(
    db: Database,
) -> None:
    """Telegram counts a bot's last second whoever sent it: the lease is given up only
    once the holder's sends have left its window, so the next holder, starting with an
    empty window, cannot put a second's worth on top of them."""
    clock = SystemClock()
    queue, leases = DeliveryQueue(db, clock), Leases(db, clock)
    senders = [ScriptedSender("telegram", clock) for _ in range(2)]
    first, second = (
        Worker(
            queue,
            {"telegram": ChannelPlan(s, window=3, exclusive="telegram:bot-1")},
            options=WorkerOptions(poll_interval=0.05),
            leases=leases,
            worker_id=f"w{i}",
        )
        for i, s in enumerate(senders)
    )
    await queue.enqueue_many(tg(str(i)) for i in range(3))
    stop = asyncio.Event()
    running = asyncio.create_task(first.run(stop))
    deadline = time.monotonic() + 30
    while len(senders[0].calls) < 3:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    stop.set()  # SIGTERM
    await running

    await queue.enqueue_many(tg(str(i)) for i in range(3, 6))
    assert (await second.drain()).sent == 3
    last = max(t for _, _, t in senders[0].calls)
    assert min(t for _, _, t in senders[1].calls) >= last + 1.0


async def test_a_lease_is_renewed_by_its_holder_and_released(
    db: Database, clock: FakeClock
) -> None:
    leases = Leases(db, clock)
    ttl = timedelta(seconds=15)
    assert await leases.acquire("telegram:bot", "a", ttl)
    assert not await leases.acquire("telegram:bot", "b", ttl)
    clock.advance(10)
    assert await leases.acquire("telegram:bot", "a", ttl)  # renewed to t=25
    clock.advance(10)
    assert not await leases.acquire("telegram:bot", "b", ttl)
    await leases.release("telegram:bot", "a")
    assert await leases.acquire("telegram:bot", "b", ttl)


async def test_a_bot_wide_429_pauses_every_chat(queue: DeliveryQueue, clock: FakeClock) -> None:
    await queue.enqueue_many([tg("42", 0), tg("43", 0)])
    sender = ScriptedSender("telegram", clock, {"42": [RetryAfter(10, scope="bot")]})
    worker = Worker(queue, {"telegram": ChannelPlan(sender, key_limits=LIMITS, concurrency=1)})

    await worker.drain()

    [(first, _, t0), *rest] = sender.calls
    assert first == "42"
    assert all(t >= t0 + 10 for _, _, t in rest)  # nothing went out during the pause
    assert sorted(r for r, _, _ in rest) == ["42", "43"]


async def test_never_more_sends_than_the_window_allows_in_any_second(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    await queue.enqueue_many(tg(str(i)) for i in range(10))
    sender = ScriptedSender("telegram", clock)
    worker = Worker(queue, {"telegram": ChannelPlan(sender, window=3)})

    assert (await worker.drain()).sent == 10

    times = [t for _, _, t in sender.calls]
    for t in times:
        assert sum(1 for u in times if t - 1.0 < u <= t) <= 3
    assert times[-1] == pytest.approx(3.0)
