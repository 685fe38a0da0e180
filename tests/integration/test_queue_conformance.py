"""The delivery queue's contract, run unchanged on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from herald.clock import FakeClock
from herald.db import Database
from herald.queue import (
    DeliveryFilter,
    DeliveryQueue,
    Lane,
    NewDelivery,
    Permanent,
    RecipientRoom,
    Result,
    RetryAfter,
    Sent,
    State,
    Transient,
    admin,
)
from tests.support.deliveries import telegram_text

W = "worker-1"


async def test_transactional_lane_is_served_before_campaign(queue: DeliveryQueue) -> None:
    campaign = [
        (await queue.enqueue(telegram_text(f"c{i}", lane=Lane.CAMPAIGN))).id for i in range(3)
    ]
    urgent = (await queue.enqueue(telegram_text("alert", lane=Lane.TRANSACTIONAL))).id

    first = await queue.claim("telegram", 1, W)
    rest = await queue.claim("telegram", 10, W)

    assert [d.id for d in first] == [urgent]
    assert [d.id for d in rest] == campaign


async def test_fifo_within_a_lane_by_run_at_then_id(queue: DeliveryQueue, clock: FakeClock) -> None:
    now = clock.now()
    late = (await queue.enqueue(telegram_text("a", run_at=now - timedelta(seconds=1)))).id
    early = (await queue.enqueue(telegram_text("b", run_at=now - timedelta(seconds=5)))).id
    same_a = (await queue.enqueue(telegram_text("c", run_at=now - timedelta(seconds=1)))).id

    claimed = await queue.claim("telegram", 10, W)

    assert [d.id for d in claimed] == [early, late, same_a]


async def test_only_due_deliveries_of_the_channel_are_claimed(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    future = (
        await queue.enqueue(telegram_text("a", run_at=clock.now() + timedelta(seconds=30)))
    ).id
    await queue.enqueue(NewDelivery("email", "x@example.com", {}))

    assert await queue.claim("telegram", 10, W) == []
    clock.advance(30)
    assert [d.id for d in await queue.claim("telegram", 10, W)] == [future]


async def test_one_in_flight_delivery_per_ordering_key(queue: DeliveryQueue) -> None:
    first, second = [(await queue.enqueue(telegram_text("chat-1", f"m{i}"))).id for i in range(2)]
    other = (await queue.enqueue(telegram_text("chat-2"))).id

    claimed = await queue.claim("telegram", 10, W)
    assert [d.id for d in claimed] == [first, other]
    assert await queue.claim("telegram", 10, W) == []  # chat-1 is busy

    await queue.record([Result(claimed[0], Sent("1"))], W)
    assert [d.id for d in await queue.claim("telegram", 10, W)] == [second]


def to_endpoint(endpoint: str, subject: int) -> NewDelivery:
    """Deliveries of one recipient under many ordering keys, as webhooks queue them."""
    return NewDelivery("webhook", endpoint, {}, ordering_key=f"webhook:{endpoint}:{subject}")


async def test_a_recipient_room_leaves_out_the_full_and_caps_the_others(
    queue: DeliveryQueue,
) -> None:
    """A recipient with no room is left out before the scan, so that its backlog does not
    fill the batch; any other gets at most its room, oldest first."""
    slow = [(await queue.enqueue(to_endpoint("1", i))).id for i in range(6)]
    busy = [(await queue.enqueue(to_endpoint("2", i))).id for i in range(3)]
    idle = [(await queue.enqueue(to_endpoint("3", i))).id for i in range(3)]

    # A scan of twice the limit reaches only endpoint 1's rows unless it is left out.
    room = RecipientRoom(default=2, room={"1": 0, "2": 1})
    claimed = await queue.claim("webhook", 3, W, recipients=room)
    assert [d.id for d in claimed] == [busy[0], *idle[:2]]

    # Without a room the same claim takes endpoint 1's oldest, one per ordering key.
    assert [d.id for d in await queue.claim("webhook", 3, W)] == slow[:3]
    again = await queue.claim("webhook", 10, W, recipients=RecipientRoom(default=1))
    assert [d.id for d in again] == [slow[3], busy[1], idle[2]]


async def test_a_recipient_room_above_the_default_is_taken(queue: DeliveryQueue) -> None:
    """A recipient with limits of its own may have more room than the others."""
    own = [(await queue.enqueue(to_endpoint("1", i))).id for i in range(4)]
    other = [(await queue.enqueue(to_endpoint("2", i))).id for i in range(2)]
    room = RecipientRoom(default=1, room={"1": 3})
    claimed = await queue.claim("webhook", 10, W, recipients=room)
    assert [d.id for d in claimed] == [*own[:3], other[0]]


async def test_transient_failures_back_off_1_2_4_8_seconds_then_dead_letter(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    delivery_id = (await queue.enqueue(telegram_text("chat"))).id
    delays = []
    for attempt in range(1, 6):
        [d] = await queue.claim("telegram", 1, W)
        assert d.attempts == attempt
        await queue.record([Result(d, Transient(f"boom {attempt}"))], W)
        after = await queue.get(delivery_id)
        assert after is not None
        if attempt < 5:
            assert after.state is State.PENDING
            delays.append((after.run_at - clock.now()).total_seconds())
            assert await queue.claim("telegram", 1, W) == []  # not before its time
            clock.advance(delays[-1])

    assert delays == [1, 2, 4, 8]
    dead = await queue.get(delivery_id)
    assert dead is not None
    assert dead.state is State.DEAD
    assert dead.last_error == "gave up after 5 attempts: boom 5"
    assert dead.finished_at == clock.now()


async def test_retry_after_waits_exactly_and_spends_no_attempt(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    delivery_id = (await queue.enqueue(telegram_text("chat"))).id
    for _ in range(10):  # far more than max_attempts: none of them count
        [d] = await queue.claim("telegram", 1, W)
        await queue.record([Result(d, RetryAfter(7))], W)
        clock.advance(6.9)
        assert await queue.claim("telegram", 1, W) == []
        clock.advance(0.1)

    [d] = await queue.claim("telegram", 1, W)
    assert d.id == delivery_id
    assert d.attempts == 1


async def test_permanent_failure_is_dead_lettered_with_its_error(queue: DeliveryQueue) -> None:
    delivery_id = (await queue.enqueue(telegram_text("chat"))).id
    [d] = await queue.claim("telegram", 1, W)
    await queue.record([Result(d, Permanent("403 Forbidden: bot was blocked by the user"))], W)

    dead = await admin.list_deliveries(queue, DeliveryFilter(state=State.DEAD))
    assert [(x.id, x.last_error) for x in dead] == [
        (delivery_id, "403 Forbidden: bot was blocked by the user")
    ]
    assert dead[0].attempts == 1


async def _dead_letter(queue: DeliveryQueue, new: NewDelivery, error: str) -> int:
    delivery_id = (await queue.enqueue(new)).id
    [d] = await queue.claim(new.channel, 1, W)
    assert d.id == delivery_id
    await queue.record([Result(d, Permanent(error))], W)
    return delivery_id


async def test_dead_letters_filter_and_replay_one_and_in_bulk(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    a = await _dead_letter(queue, telegram_text("1", campaign="spring"), "chat not found")
    clock.advance(3600)
    b = await _dead_letter(queue, telegram_text("2", campaign="spring"), "bot was blocked")
    c = await _dead_letter(queue, NewDelivery("email", "x@example.com", {}), "550 no such user")
    window_start = clock.now() - timedelta(seconds=10)

    async def ids(**kw: object) -> list[int]:
        f = DeliveryFilter(state=State.DEAD, **kw)  # type: ignore[arg-type]
        return sorted(d.id for d in await admin.list_deliveries(queue, f))

    assert await ids(channel="telegram") == [a, b]
    assert await ids(error_contains="blocked") == [b]
    assert await ids(campaign="spring") == [a, b]
    assert await ids(since=window_start) == [b, c]
    assert await ids(until=window_start) == [a]
    assert await ids(error_contains="100%_") == []  # LIKE wildcards are literal

    assert await admin.replay(queue, DeliveryFilter(ids=(c,))) == 1
    assert await admin.replay(queue, DeliveryFilter(ids=(c,))) == 0  # no longer dead
    assert await admin.replay(queue, DeliveryFilter(campaign="spring")) == 2

    replayed = await queue.claim("telegram", 10, W)
    assert sorted(d.id for d in replayed) == [a, b]
    assert all(d.attempts == 1 for d in replayed)  # fresh attempts
    assert await ids() == []


async def test_expired_lease_is_rescued_and_the_late_outcome_ignored(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    delivery_id = (await queue.enqueue(telegram_text("chat"))).id
    [lost] = await queue.claim("telegram", 1, "dead-worker")

    clock.advance(59)
    assert await admin.rescue_expired(queue) == 0
    clock.advance(2)
    assert await admin.rescue_expired(queue) == 1

    [again] = await queue.claim("telegram", 1, W)
    assert (again.id, again.attempts) == (delivery_id, 2)
    # The first worker wakes up and reports: its lease is gone, so nothing changes.
    await queue.record([Result(lost, Sent("stale"))], "dead-worker")
    current = await queue.get(delivery_id)
    assert current is not None
    assert (current.state, current.locked_by) == (State.RUNNING, W)


async def test_a_worker_never_rescues_its_own_claims(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    """A stalled worker whose leases lapsed is still sending them: it must not send
    them again itself; another worker may, as for a dead one."""
    await queue.enqueue(telegram_text("chat"))
    await queue.claim("telegram", 1, "stalled")
    clock.advance(61)
    assert await admin.rescue_expired(queue, except_holder="stalled") == 0
    assert await admin.rescue_expired(queue, except_holder="another") == 1


async def test_extended_lease_is_not_rescued(queue: DeliveryQueue, clock: FakeClock) -> None:
    await queue.enqueue(telegram_text("chat"))
    [d] = await queue.claim("telegram", 1, W)
    for _ in range(5):
        clock.advance(40)
        await queue.extend_leases([d.id], W)
        assert await admin.rescue_expired(queue) == 0


async def test_rescue_of_the_last_attempt_dead_letters(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    delivery_id = (await queue.enqueue(telegram_text("chat", max_attempts=1))).id
    await queue.claim("telegram", 1, W)
    clock.advance(120)
    assert await admin.rescue_expired(queue) == 1
    dead = await queue.get(delivery_id)
    assert dead is not None
    assert dead.state is State.DEAD
    assert "lease expired" in (dead.last_error or "")


async def test_release_gives_back_the_attempt(queue: DeliveryQueue) -> None:
    delivery_id = (await queue.enqueue(telegram_text("chat"))).id
    [d] = await queue.claim("telegram", 1, W)
    await queue.release([d.id], W)
    [again] = await queue.claim("telegram", 1, W)
    assert (again.id, again.attempts) == (delivery_id, 1)


async def test_idempotency_key_never_queues_twice(queue: DeliveryQueue) -> None:
    first = await queue.enqueue(telegram_text("chat", idempotency_key="order-42-filled"))
    repeat = await queue.enqueue(
        telegram_text("chat", "other text", idempotency_key="order-42-filled")
    )
    assert first.created and not repeat.created
    assert repeat.id == first.id

    batch = [telegram_text(str(i), idempotency_key=f"k{i % 5}") for i in range(10)]
    assert await queue.enqueue_many(batch) == 5
    stats = await admin.stats(queue)
    assert stats.total(State.PENDING) == 6


async def test_many_concurrent_claimers_never_share_a_row(
    database_url: str, queue: DeliveryQueue, clock: FakeClock
) -> None:
    total = 600
    await queue.enqueue_many(telegram_text(f"chat-{i}") for i in range(total))
    # Four independent engines: four connection pools, as four processes would have.
    databases = [Database(database_url) for _ in range(4)]
    queues = [DeliveryQueue(d, clock) for d in databases]
    claimed: list[list[int]] = [[] for _ in queues]

    async def claimer(index: int) -> None:
        while batch := await queues[index].claim("telegram", 7, f"w{index}"):
            claimed[index].extend(d.id for d in batch)
            await asyncio.sleep(0)

    try:
        await asyncio.gather(*(claimer(i) for i in range(len(queues))))
    finally:
        for d in databases:
            await d.dispose()

    everything = [i for ids in claimed for i in ids]
    assert len(everything) == total
    assert len(set(everything)) == total
    assert sum(1 for ids in claimed if ids) >= 2  # the work really was shared


async def test_concurrent_claimers_keep_one_in_flight_per_key(
    database_url: str, queue: DeliveryQueue, clock: FakeClock
) -> None:
    # 20 chats with 10 messages each, claimed by four engines at once.
    await queue.enqueue_many(telegram_text(f"chat-{i % 20}", f"m{i}") for i in range(200))
    databases = [Database(database_url) for _ in range(4)]
    queues = [DeliveryQueue(d, clock) for d in databases]

    async def claim_round(index: int) -> list[str | None]:
        batch = await queues[index].claim("telegram", 50, f"w{index}")
        return [d.ordering_key for d in batch]

    try:
        keys = [k for ks in await asyncio.gather(*(claim_round(i) for i in range(4))) for k in ks]
    finally:
        for d in databases:
            await d.dispose()
    assert len(keys) == 20
    assert len(set(keys)) == 20


async def test_completed_deliveries_are_pruned_after_retention(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    await queue.enqueue_many(telegram_text(f"c{i}") for i in range(30))
    done = await queue.claim("telegram", 30, W)
    await queue.record([Result(d, Sent(str(d.id))) for d in done[:20]], W)
    await queue.record([Result(d, Permanent("no")) for d in done[20:]], W)

    clock.advance(29 * 86400)
    assert await admin.prune_sent(queue, timedelta(days=30)) == 0
    clock.advance(2 * 86400)
    assert await admin.prune_sent(queue, timedelta(days=30)) == 20
    stats = await admin.stats(queue)
    assert (stats.total(State.SENT), stats.total(State.DEAD)) == (0, 10)  # dead letters stay


async def test_stats_count_by_lane_and_state_and_age_of_oldest_waiting(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    await queue.enqueue(telegram_text("a", lane=Lane.CAMPAIGN))
    clock.advance(5)
    await queue.enqueue(telegram_text("b"))
    await queue.enqueue(telegram_text("c", run_at=clock.now() + timedelta(hours=1)))
    await queue.claim("telegram", 1, W)  # takes "b": transactional first
    clock.advance(2)

    stats = await admin.stats(queue)
    assert stats.counts == {
        ("campaign", "pending"): 1,
        ("transactional", "pending"): 1,
        ("transactional", "running"): 1,
    }
    assert stats.oldest_waiting_seconds == 7.0


@pytest.mark.slow
async def test_100k_campaign_is_enqueued_in_chunks(queue: DeliveryQueue) -> None:
    produced = 0

    def recipients() -> object:
        nonlocal produced
        for i in range(100_000):
            produced += 1
            yield NewDelivery(
                "telegram",
                str(i),
                {"text": "promo"},
                lane=Lane.CAMPAIGN,
                campaign="big",
                idempotency_key=f"big:{i}",
            )

    assert await queue.enqueue_many(recipients()) == 100_000  # type: ignore[arg-type]
    assert produced == 100_000
    stats = await admin.stats(queue)
    assert stats.counts == {("campaign", "pending"): 100_000}
    # Replaying the same campaign (a retried API call) queues nothing new.
    assert await queue.enqueue_many(recipients()) == 0  # type: ignore[arg-type]
