"""delivery.sent and delivery.dead_lettered, written with the outcomes, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from herald.channel import WEBHOOK_CHANNEL
from herald.clock import FakeClock
from herald.db import Database
from herald.events import EventType
from herald.queue import NewDelivery, Permanent, Result, Sent, State, Transient
from herald.queue import admin as queue_admin
from herald.runtime import Runtime
from tests.support.deliveries import telegram_text
from tests.support.events import data_of, events_of, refusing_events
from tests.support.senders import scripted_runtime

SENT, DEAD = EventType.DELIVERY_SENT, EventType.DELIVERY_DEAD_LETTERED


@pytest.fixture
async def runtime(db: Database, clock: FakeClock) -> AsyncIterator[Runtime]:
    script = {
        "blocked-chat": [Permanent("Forbidden: bot was blocked by the user", "blocked")],
        "flaky-chat": [Transient("502 Bad Gateway")],
    }
    async with scripted_runtime(db.url, clock, {"telegram": script}) as built:
        yield built


async def test_a_sent_and_a_dead_lettered_delivery_record_their_events(
    runtime: Runtime, db: Database, clock: FakeClock
) -> None:
    sent = await runtime.queue.enqueue(telegram_text("ok-chat", campaign="7"))
    dead = await runtime.queue.enqueue(telegram_text("blocked-chat"))
    flaky = await runtime.queue.enqueue(telegram_text("flaky-chat"))
    await runtime.worker(exclusive=False).drain()

    finished = (await runtime.queue.get(sent.id)).finished_at  # type: ignore[union-attr]
    assert finished is not None
    at = finished.isoformat().replace("+00:00", "Z")
    assert [d for d in await data_of(db, SENT) if d["delivery_id"] != flaky.id] == [
        {
            "delivery_id": sent.id,
            "channel": "telegram",
            "recipient": "ok-chat",
            "lane": "transactional",
            "notification_id": None,
            "campaign": "7",
            "attempts": 1,
            "provider_message_id": f"msg-{sent.id}",
            "sent_at": at,
        }
    ]
    assert await data_of(db, DEAD) == [
        {
            "delivery_id": dead.id,
            "channel": "telegram",
            "recipient": "blocked-chat",
            "lane": "transactional",
            "notification_id": None,
            "campaign": None,
            "attempts": 1,
            "reason": "blocked",
            "error": "Forbidden: bot was blocked by the user",
            "dead_at": at,
        }
    ]
    rows = await events_of(db, SENT, DEAD)
    first = {f"delivery:{sent.id}": finished, f"delivery:{dead.id}": finished}
    assert {r.subject: r.occurred_at for r in rows if r.subject in first} == first

    # A retry is no event; the send after it is (the drain may have waited for it).
    clock.advance(5)
    await runtime.worker(exclusive=False).drain()
    [retried] = [d for d in await data_of(db, SENT) if d["delivery_id"] == flaky.id]
    assert retried["attempts"] == 2
    assert len(await events_of(db)) == 3


async def test_outcomes_whose_events_cannot_be_written_are_not_recorded_either(
    runtime: Runtime, db: Database
) -> None:
    queue = runtime.queue
    delivery_id = (await queue.enqueue(telegram_text("ok-chat"))).id
    [claimed] = await queue.claim("telegram", 1, "w1")
    async with refusing_events(db):
        with pytest.raises(Exception, match="events refused"):
            await queue.record([Result(claimed, Sent("m1"))], "w1")
    # The outcome rolled back with its event: still running, no event.
    assert (await queue.get(delivery_id)).state is State.RUNNING  # type: ignore[union-attr]
    assert await events_of(db) == []
    # The worker keeps the outcome and records it again: both commit, once.
    await queue.record([Result(claimed, Sent("m1"))], "w1")
    assert (await queue.get(delivery_id)).state is State.SENT  # type: ignore[union-attr]
    assert [d["delivery_id"] for d in await data_of(db, SENT)] == [delivery_id]


async def test_an_outcome_from_a_worker_that_lost_its_lease_records_no_event(
    runtime: Runtime, db: Database, clock: FakeClock
) -> None:
    queue = runtime.queue
    await queue.enqueue(telegram_text("ok-chat"))
    [lost] = await queue.claim("telegram", 1, "stalled")
    clock.advance(120)
    assert await queue_admin.rescue_expired(queue) == 1
    [again] = await queue.claim("telegram", 1, "w2")
    await queue.record([Result(lost, Sent("stale"))], "stalled")
    assert await events_of(db) == []
    await queue.record([Result(again, Sent("fresh"))], "w2")
    [event] = await data_of(db, SENT)
    assert (event["provider_message_id"], event["attempts"]) == ("fresh", 2)


async def test_a_rescue_on_the_last_attempt_records_a_dead_letter(
    runtime: Runtime, db: Database, clock: FakeClock
) -> None:
    queue = runtime.queue
    delivery_id = (await queue.enqueue(telegram_text("ok-chat", max_attempts=1))).id
    await queue.claim("telegram", 1, "lost-worker")
    clock.advance(120)
    assert await queue_admin.rescue_expired(queue) == 1
    [event] = await data_of(db, DEAD)
    assert (event["delivery_id"], event["reason"]) == (delivery_id, "lease_expired")
    assert "lease expired" in event["error"]


async def test_webhook_deliveries_record_no_delivery_events(runtime: Runtime, db: Database) -> None:
    queue = runtime.queue
    await queue.enqueue(NewDelivery(WEBHOOK_CHANNEL, "endpoint:1", {"event": "evt_1"}))
    [claimed] = await queue.claim(WEBHOOK_CHANNEL, 1, "w1")
    await queue.record([Result(claimed, Sent())], "w1")
    assert (await queue.get(claimed.id)).state is State.SENT  # type: ignore[union-attr]
    assert await events_of(db) == []
