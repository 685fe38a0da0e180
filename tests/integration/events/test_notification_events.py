"""notification.delivered and notification.failed from the real flow, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from herald.clock import FakeClock
from herald.db import Database
from herald.events import EventType
from herald.messaging.intake import Accepted, NewNotification
from herald.messaging.recipients import RecipientFields
from herald.queue import Permanent, Result, Sent
from herald.runtime import Runtime
from tests.support.alerts import SL_VARS
from tests.support.events import data_of, events_of, refusing_events
from tests.support.senders import scripted_runtime

DELIVERED, FAILED = EventType.NOTIFICATION_DELIVERED, EventType.NOTIFICATION_FAILED
BLOCKED = "Forbidden: bot was blocked by the user"


@pytest.fixture
async def runtime(db: Database, clock: FakeClock) -> AsyncIterator[Runtime]:
    scripts = {
        "telegram": {"666": [Permanent(BLOCKED, "blocked")]},
        "email": {"bounce@example.com": [Permanent("550 no such user", "rejected")]},
    }
    async with scripted_runtime(db.url, clock, scripts) as built:
        await built.recipients.put("ok", RecipientFields(telegram_chat_id="42"))
        await built.recipients.put(
            "blocked", RecipientFields(telegram_chat_id="666", email="u@example.com")
        )
        await built.recipients.put(
            "lost", RecipientFields(telegram_chat_id="666", email="bounce@example.com")
        )
        await built.recipients.put("mail-only", RecipientFields(email="m@example.com"))
        yield built


async def _accept(runtime: Runtime, recipient: str, channels: tuple[str, ...]) -> int:
    [accepted] = await runtime.intake.accept_all(
        [NewNotification(recipient, "position_sl_failed", SL_VARS, channels)]
    )
    assert isinstance(accepted, Accepted)
    return accepted.id


def _delivery_id(events: list[dict[str, Any]], channel: str) -> int:
    [found] = [e["delivery_id"] for e in events if e["channel"] == channel]
    return int(found)


async def test_delivered_first_time_and_after_a_fallback(
    runtime: Runtime, db: Database, clock: FakeClock
) -> None:
    first = await _accept(runtime, "ok", ("telegram",))
    fell_back = await _accept(runtime, "blocked", ("telegram", "email"))
    for _ in range(2):  # the fallback's delivery is queued after the first drain's records
        await runtime.worker(exclusive=False).drain()

    sent = await data_of(db, EventType.DELIVERY_SENT)
    events = {e["notification_id"]: e for e in await data_of(db, DELIVERED)}
    at = events[first]["delivered_at"]
    assert events[first] == {
        "notification_id": first,
        "recipient": "ok",
        "template": "position_sl_failed",
        "channel": "telegram",
        "delivery_id": _delivery_id([e for e in sent if e["recipient"] == "42"], "telegram"),
        "fallbacks": [],
        "delivered_at": at,
    }
    assert events[fell_back]["channel"] == "email"
    assert events[fell_back]["recipient"] == "blocked"
    assert events[fell_back]["fallbacks"] == [{"channel": "telegram", "error": BLOCKED}]
    assert events[fell_back]["delivery_id"] == _delivery_id(sent, "email")
    subjects = [r.subject for r in await events_of(db, DELIVERED)]
    assert sorted(subjects) == sorted([f"notification:{first}", f"notification:{fell_back}"])
    assert await events_of(db, FAILED) == []


async def test_failed_with_every_channels_error(runtime: Runtime, db: Database) -> None:
    lost = await _accept(runtime, "lost", ("telegram", "push", "email"))
    for _ in range(2):
        await runtime.worker(exclusive=False).drain()
    [event] = await data_of(db, FAILED)
    assert (event["notification_id"], event["recipient"]) == (lost, "lost")
    assert event["errors"] == [
        {"channel": "telegram", "error": BLOCKED},
        {"channel": "push", "error": "no usable address"},
        {"channel": "email", "error": "550 no such user"},
    ]
    assert (await runtime.notifier.get(lost)).status == "failed"  # type: ignore[union-attr]
    assert await events_of(db, DELIVERED) == []


async def test_failed_at_intake_when_no_channel_has_an_address(
    runtime: Runtime, db: Database
) -> None:
    nid = await _accept(runtime, "mail-only", ("telegram", "push"))
    [event] = await data_of(db, FAILED)
    assert event["notification_id"] == nid
    assert event["errors"] == [
        {"channel": "telegram", "error": "no usable address"},
        {"channel": "push", "error": "no usable address"},
    ]


async def test_a_delivered_mark_that_cannot_record_its_event_rolls_back_and_catches_up(
    runtime: Runtime, db: Database
) -> None:
    nid = await _accept(runtime, "ok", ("telegram",))
    [claimed] = await runtime.queue.claim("telegram", 1, "w1")
    await runtime.queue.record([Result(claimed, Sent("m1"))], "w1")
    async with refusing_events(db):
        with pytest.raises(Exception, match="events refused"):
            await runtime.notifier.delivered([(nid, claimed.id)])
    # The fact rolled back with its event: the notification is still pending.
    assert (await runtime.notifier.get(nid)).status == "pending"  # type: ignore[union-attr]
    assert await events_of(db, DELIVERED) == []
    # The worker's maintenance catches up from the database: both, once.
    await runtime.notifier.advance()
    await runtime.notifier.advance()
    assert (await runtime.notifier.get(nid)).status == "delivered"  # type: ignore[union-attr]
    assert [e["notification_id"] for e in await data_of(db, DELIVERED)] == [nid]
