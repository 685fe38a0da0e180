"""Notifications survive a crash between their steps, and old stalled rows are finished."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from herald.clock import FakeClock
from herald.config import load_settings
from herald.db import Database, migrate
from herald.db.tables import deliveries, notifications
from herald.messaging.intake import NewNotification
from herald.messaging.recipients import RecipientFields
from herald.queue import Lane, State
from herald.runtime import Runtime
from tests.support.alerts import SL_VARS


async def test_a_crash_between_a_dead_letter_and_its_fallback_loses_nothing(
    db: Database, clock: FakeClock
) -> None:
    runtime = Runtime.build(load_settings(env="dev", database_url=db.url), clock=clock)
    try:
        await runtime.recipients.put(
            "u1", RecipientFields(email="u1@example.com", telegram_chat_id="42")
        )
        [accepted] = await runtime.intake.accept_all(
            [NewNotification("u1", "position_sl_failed", SL_VARS, ("telegram", "email"))]
        )
        # What a worker that recorded a permanent failure and died before the fallback
        # leaves behind: the first delivery dead, the notification still on it.
        async with db.write() as conn:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.notification_id == accepted.id)
                .values(state=State.DEAD, last_error="blocked: bot was blocked by the user")
            )
        await runtime.notifier.advance()  # the worker's maintenance pass
        await runtime.worker().drain()

        shown = await runtime.notifier.get(accepted.id)
        assert shown is not None
        assert (shown.status, shown.channel) == ("delivered", "email")
        first, second = await runtime.notifier.deliveries_of(accepted.id)
        assert (first.channel, first.state) == ("telegram", State.DEAD)
        assert (second.channel, second.state) == ("email", State.SENT)
    finally:
        await runtime.close()


async def test_a_notification_an_earlier_version_left_without_a_delivery_is_failed(
    empty_database_url: str, clock: FakeClock
) -> None:
    db = Database(empty_database_url)
    try:
        await migrate.upgrade(db, "0008")
        async with db.write() as conn:
            await conn.execute(
                insert(notifications).values(
                    recipient_id=1,
                    template="position_sl_failed",
                    variables=SL_VARS,
                    channels=["email"],
                    lane=int(Lane.TRANSACTIONAL),
                    status="pending",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        await migrate.upgrade(db)
        async with db.read() as conn:
            status, error = (
                await conn.execute(select(notifications.c.status, notifications.c.error))
            ).one()
        assert status == "failed"
        assert "send it again" in error
    finally:
        await db.dispose()
