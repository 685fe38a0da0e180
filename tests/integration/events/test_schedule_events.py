"""schedule.run.finished, chat.deactivated and chat.migrated from real posts against the
fake Bot API (and a my_chat_member update), on both databases."""

from __future__ import annotations

import pytest

from herald.clock import FakeClock
from herald.db import migrate
from herald.events import EventType
from herald.runtime import Runtime
from herald.scheduling.defaults import install_defaults
from herald.scheduling.schedules import ScheduleKind, ScheduleSpec
from tests.support.app import serve
from tests.support.events import data_of, events_of, refusing_events
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import telegram_settings
from tests.support.waiting import eventually

A, B, C = "-1001", "-1002", "-1003"
NEW_C = "-1009876543210"


async def test_a_run_with_a_removed_and_a_migrated_chat(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    telegram.blocked_chats.add(B)
    telegram.migrated_chats[C] = int(NEW_C)
    settings = telegram_settings(database_url, telegram, promo_chat_ids=[A, B, C])
    runtime = Runtime.build(settings, clock=clock)
    try:
        await migrate.upgrade(runtime.db)
        await install_defaults(settings, runtime.db, runtime.content, runtime.schedules)
        promos = await runtime.schedules.get_by_name("promos")
        assert promos is not None
        queued = await runtime.runner.run_due(promos.id)
        assert queued is not None
        await runtime.worker(exclusive=False).drain()

        db = runtime.db
        [run] = await runtime.runs.runs(promos.id)
        [finished] = await events_of(db, EventType.SCHEDULE_RUN_FINISHED)
        assert finished.subject == f"schedule:{promos.id}"
        data = finished.data
        assert (data["run_id"], data["schedule"], data["trigger"]) == (run.id, "promos", "start")
        assert (data["content_id"], data["content_kind"]) == (queued.content_id, "promo")
        assert (data["posted_to"], data["failed"]) == (2, 1)
        chats = {c["chat_id"]: c for c in data["chats"]}
        assert set(chats) == {A, B, C}  # as posted (C moved to NEW_C on the way)
        assert chats[A] == {
            "chat_id": A,
            "topic_id": None,
            "status": "sent",
            "message_id": chats[A]["message_id"],
            "error": None,
        }
        assert chats[B]["status"] == "failed" and "blocked" in chats[B]["error"]

        [deactivated] = await data_of(db, EventType.CHAT_DEACTIVATED)
        assert (deactivated["chat_id"], deactivated["reason"]) == (B, "blocked")
        assert deactivated["schedule_ids"] == [promos.id]
        [migrated] = await data_of(db, EventType.CHAT_MIGRATED)
        assert (migrated["old_chat_id"], migrated["new_chat_id"]) == (C, NEW_C)
        assert migrated["schedule_ids"] == [promos.id]

        # The same chat refused again: nothing left to deactivate, no second event.
        assert await runtime.schedules.deactivate_chat(B, "blocked") == 0
        assert len(await events_of(db, EventType.CHAT_DEACTIVATED)) == 1
    finally:
        await runtime.close()


async def test_a_chat_that_removes_the_bot_is_deactivated_with_its_event(
    database_url: str, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(database_url, telegram)
    async with serve(settings, poll_updates=True, role=None) as (_, runtime):
        spec = ScheduleSpec("news", ScheduleKind.PROMOS, chat_ids=[A, B])
        schedule_id = await runtime.schedules.create(spec)
        telegram.push_my_chat_member(int(A), "member", "kicked")

        async def recorded() -> bool:
            return bool(await events_of(runtime.db, EventType.CHAT_DEACTIVATED))

        await eventually(recorded)
        [event] = await events_of(runtime.db, EventType.CHAT_DEACTIVATED)
        assert event.subject == f"chat:{A}"
        assert (event.data["reason"], event.data["schedule_ids"]) == ("banned", [schedule_id])


async def test_a_deactivation_whose_event_is_refused_leaves_the_chat_active(
    database_url: str, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(database_url, telegram)
    async with serve(settings) as (_, runtime):
        spec = ScheduleSpec("news", ScheduleKind.PROMOS, chat_ids=[A])
        schedule_id = await runtime.schedules.create(spec)
        async with refusing_events(runtime.db):
            with pytest.raises(Exception, match="events refused"):
                await runtime.schedules.deactivate_chat(A, "kicked")
        shown = await runtime.schedules.get(schedule_id)
        assert shown is not None and [c.active for c in shown.chats] == [True]
        assert await events_of(runtime.db) == []
