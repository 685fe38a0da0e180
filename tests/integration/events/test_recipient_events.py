"""recipient.unreachable and push.subscription_expired from real outcomes, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from herald.channels.push import PushReason
from herald.channels.telegram import TelegramReason
from herald.clock import FakeClock
from herald.db import Database
from herald.events import EventType
from herald.messaging.intake import NewNotification
from herald.messaging.recipients import RecipientFields
from herald.queue import Permanent
from herald.runtime import Runtime
from tests.support.alerts import SL_VARS
from tests.support.events import events_of, refusing_events
from tests.support.senders import scripted_runtime

ENDPOINT = "https://push.example.com/send/gone"
BLOCKED = Permanent("Forbidden: bot was blocked by the user", TelegramReason.BLOCKED)
EXPIRED = Permanent("push service said 410: gone", PushReason.SUBSCRIPTION_EXPIRED)


@pytest.fixture
async def runtime(db: Database, clock: FakeClock) -> AsyncIterator[Runtime]:
    scripts = {"telegram": {"666": [BLOCKED]}, "push": {ENDPOINT: [EXPIRED]}, "email": {}}
    async with scripted_runtime(db.url, clock, scripts) as built:
        yield built


async def test_a_blocked_chat_makes_its_recipients_unreachable(
    runtime: Runtime, db: Database
) -> None:
    await runtime.recipients.put("u1", RecipientFields(telegram_chat_id="666", email="a@x.org"))
    await runtime.intake.accept_all(
        [NewNotification("u1", "position_sl_failed", SL_VARS, ("telegram", "email"))]
    )
    await runtime.worker(exclusive=False).drain()

    [event] = await events_of(db, EventType.RECIPIENT_UNREACHABLE)
    assert event.subject == "recipient:u1"
    assert event.data == {
        "recipient": "u1",
        "channel": "telegram",
        "chat_id": "666",
        "reason": "blocked",
        "unreachable_at": event.data["unreachable_at"],
    }
    shown = await runtime.recipients.get("u1")
    assert shown is not None and shown.telegram_unreachable_at == event.occurred_at
    # Marked once: another refusal of the same chat changes nothing and says nothing.
    assert await runtime.recipients.mark_telegram_unreachable("666", "blocked") == 0
    assert len(await events_of(db, EventType.RECIPIENT_UNREACHABLE)) == 1


async def test_an_expired_push_subscription_is_deleted_with_its_event(
    runtime: Runtime, db: Database
) -> None:
    await runtime.recipients.put("u2", RecipientFields(email="b@x.org"))
    sub = await runtime.recipients.add_push_subscription("u2", ENDPOINT, "p" * 87, "a" * 22)
    assert sub is not None
    await runtime.intake.accept_all(
        [NewNotification("u2", "position_sl_failed", SL_VARS, ("push", "email"))]
    )
    await runtime.worker(exclusive=False).drain()

    [event] = await events_of(db, EventType.PUSH_SUBSCRIPTION_EXPIRED)
    assert (event.subject, event.data["recipient"]) == ("recipient:u2", "u2")
    assert event.data["subscription_id"] == sub.id
    shown = await runtime.recipients.get("u2")
    assert shown is not None and shown.push_subscriptions == ()


async def test_a_refused_event_keeps_the_subscription(runtime: Runtime, db: Database) -> None:
    await runtime.recipients.put("u3", RecipientFields())
    await runtime.recipients.add_push_subscription("u3", ENDPOINT, "p" * 87, "a" * 22)
    async with refusing_events(db):
        with pytest.raises(Exception, match="events refused"):
            await runtime.recipients.forget_push_endpoint(ENDPOINT)
    shown = await runtime.recipients.get("u3")
    assert shown is not None and len(shown.push_subscriptions) == 1
    assert await events_of(db) == []
