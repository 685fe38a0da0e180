"""Notifications survive a crash between their steps: the periodic sweep finishes them."""

from __future__ import annotations

from sqlalchemy import insert

from herald.clock import FakeClock
from herald.config import load_settings
from herald.db import Database
from herald.db.tables import notifications
from herald.messaging.recipients import RecipientFields
from herald.queue import Lane, State
from herald.runtime import Runtime

VARS = {
    "symbol": "EURUSD",
    "side": "sell",
    "volume": "1",
    "entry_price": "1.1",
    "tp_price": "1.0",
    "error": "Market closed",
    "position_id": "p1",
    "time": "now",
}


async def test_a_notification_interrupted_before_its_first_delivery_is_sent_later(
    db: Database, clock: FakeClock
) -> None:
    runtime = Runtime.build(load_settings(env="dev", database_url=db.url), clock=clock)
    try:
        recipient, _ = await runtime.recipients.put("u1", RecipientFields(email="u1@example.com"))
        # What a crash right after storing the notification leaves behind.
        async with db.write() as conn:
            notification_id = await conn.scalar(
                insert(notifications)
                .values(
                    recipient_id=recipient.id,
                    template="position_tp_failed",
                    variables=VARS,
                    channels=["email"],
                    lane=int(Lane.TRANSACTIONAL),
                    status="pending",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
                .returning(notifications.c.id)
            )
        assert notification_id is not None
        worker = runtime.worker()
        await worker.drain()
        assert (await runtime.notifier.get(notification_id)).status == "pending"  # type: ignore[union-attr]

        clock.advance(31)
        await runtime.notifier.advance()  # the worker's maintenance pass
        await worker.drain()

        shown = await runtime.notifier.get(notification_id)
        assert shown is not None
        assert (shown.status, shown.channel) == ("delivered", "email")
        [delivery] = await runtime.notifier.deliveries_of(notification_id)
        assert delivery.state == State.SENT
    finally:
        await runtime.close()
