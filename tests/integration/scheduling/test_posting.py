"""Scheduled posting end to end against the fake Bot API: rotation (also across a
restart), partial failures, migrated and removed chats, misfires with an injected
clock, edits while a run is in flight."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from prometheus_client import generate_latest

from herald.clock import FakeClock
from herald.config import Settings
from herald.db import migrate
from herald.runtime import Runtime
from herald.scheduling.cadence import Cadence
from herald.scheduling.content import Kind
from herald.scheduling.defaults import install_defaults
from herald.scheduling.schedules import ScheduleChanges, ScheduleKind, ScheduleSpec
from tests.support.fake_telegram import FakeTelegram, server_error
from tests.support.logs import log_lines
from tests.support.telegram_app import telegram_settings

HOUR = 3600
A, B, C, D = "-1001", "-1002", "-1003", "-1004"


@asynccontextmanager
async def started(settings: Settings, clock: FakeClock) -> AsyncIterator[Runtime]:
    """A runtime as `serve` has it after start: migrated, defaults installed."""
    runtime = Runtime.build(settings, clock=clock)
    try:
        await migrate.upgrade(runtime.db)
        await install_defaults(settings, runtime.db, runtime.content, runtime.schedules)
        yield runtime
    finally:
        await runtime.close()


async def send_all(runtime: Runtime) -> None:
    await runtime.worker(exclusive=False).drain()


def titles(telegram: FakeTelegram, chat: str) -> list[str]:
    return [m["text"].split("\n")[0] for m in telegram.messages if str(m["chat"]["id"]) == chat]


async def test_rotation_over_a_full_cycle_and_across_a_restart(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    settings = telegram_settings(database_url, telegram, guide_chat_ids=f"{A},{B}")
    guide_titles = ["Trading Fundamentals", "Chart Analysis", "Risk Management", "Entry/Exit"]
    async with started(settings, clock) as runtime:
        guides = await runtime.schedules.get_by_name("guides")
        assert guides is not None
        first = await runtime.runner.run_due(guides.id)  # post_on_start: the start slot
        assert first is not None and first.status == "queued" and first.chats == 2
        assert await runtime.runner.run_due(guides.id) is None  # nothing due twice
        clock.advance(4 * HOUR)
        await runtime.runner.run_due(guides.id)
        await send_all(runtime)

    clock.advance(4 * HOUR)
    async with started(settings, clock) as runtime:  # a restart: no post, rotation kept
        assert [r.trigger for r in await runtime.runs.runs(guides.id)] == ["scheduled", "start"]
        for _ in range(3):
            await runtime.runner.run_due(guides.id)
            clock.advance(4 * HOUR)
        await send_all(runtime)
        runs = await runtime.runs.runs(guides.id)
        metrics = generate_latest(runtime.metrics.registry).decode()
        assert "guides_posts_total 6.0" in metrics  # this process: 3 runs x 2 chats

    expected = [*guide_titles, guide_titles[0]]
    for chat in (A, B):
        assert titles(telegram, chat) == expected
    assert [r.position for r in reversed(runs)] == [0, 1, 2, 3, 0]
    assert all((r.status, r.posted_to, r.failed) == ("done", 2, 0) for r in runs)
    assert len({r.slot_at for r in runs}) == 5


async def test_one_chat_failing_never_blocks_the_others(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    telegram.blocked_chats.add(B)  # the bot was removed: 403
    telegram.migrated_chats[C] = -1009876543210
    telegram.script(D, server_error(502))  # one 5xx, then fine
    settings = telegram_settings(database_url, telegram, promo_chat_ids=[A, B, C, D])
    async with started(settings, clock) as runtime:
        promos = await runtime.schedules.get_by_name("promos")
        assert promos is not None
        result = await runtime.runner.run_due(promos.id)
        assert result is not None
        await send_all(runtime)
        clock.advance(5)
        await send_all(runtime)  # D's retry

        [run] = await runtime.runs.runs(promos.id)
        assert (run.status, run.posted_to, run.failed) == ("done", 3, 1)
        by_chat = {p.chat_id: p for p in run.posts}
        assert by_chat[B].status == "failed" and "blocked" in (by_chat[B].error or "")
        assert {by_chat[c].status for c in (A, C, D)} == {"sent"}
        assert by_chat[A].message_id == "1"

        shown = await runtime.schedules.get(promos.id)
        assert shown is not None
        chats = {c.chat_id: (c.active, c.inactive_reason) for c in shown.chats}
        assert chats == {
            A: (True, None),
            B: (False, "blocked"),  # shown as inactive, not silently dropped
            "-1009876543210": (True, None),  # followed the migration
            D: (True, None),
        }
        metrics = generate_latest(runtime.metrics.registry).decode()
        promo = result.content_id
        assert f'marketing_posts_total{{promo_id="{promo}"}} 3.0' in metrics
        assert 'scheduled_post_failures_total{kind="promo",reason="blocked"} 1.0' in metrics

        clock.advance(4 * HOUR)
        again = await runtime.runner.run_due(promos.id)
        assert again is not None and again.chats == 3  # the inactive chat is left out


async def test_every_chat_failing_is_a_run_with_every_post_failed(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    telegram.missing_chats.update({A, B})
    settings = telegram_settings(database_url, telegram, guide_chat_ids=[A, B])
    async with started(settings, clock) as runtime:
        guides = await runtime.schedules.get_by_name("guides")
        assert guides is not None
        await runtime.runner.run_due(guides.id)
        await send_all(runtime)
        [run] = await runtime.runs.runs(guides.id)
        assert (run.status, run.posted_to, run.failed) == ("done", 0, 2)
        assert {p.error for p in run.posts} == {"400 Bad Request: chat not found"}


async def test_a_missed_slot_is_posted_once_within_grace_and_skipped_beyond_it(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    settings = telegram_settings(database_url, telegram, schedule_grace_seconds=600)
    async with started(settings, clock) as runtime:
        sid = await runtime.schedules.create(
            ScheduleSpec("hourly", ScheduleKind.GUIDES, Cadence(interval_seconds=HOUR), [A])
        )
        start = clock.now()
        clock.advance(HOUR + 300)  # every process was down at the slot; 5 min late
        late = await runtime.runner.run_due(sid)
        assert late is not None and late.status == "queued"
        clock.advance(3 * HOUR + 20 * 60)  # down for three slots; the latest is 25 min ago
        skipped = await runtime.runner.run_due(sid)
        assert skipped is not None and skipped.status == "skipped"
        assert await runtime.runner.run_due(sid) is None  # no burst of catch-ups
        schedule = await runtime.schedules.get(sid)
        assert schedule is not None and schedule.next_slot_at == start + timedelta(hours=5)
        clock.advance(35 * 60)  # 5 h, on time
        on_time = await runtime.runner.run_due(sid)
        assert on_time is not None and on_time.status == "queued"
        runs = await runtime.runs.runs(sid)
        # The skipped run is recorded at the latest slot missed (4 h).
        assert [(r.status, r.slot_at - start) for r in reversed(runs)] == [
            ("queued", timedelta(hours=1)),
            ("skipped", timedelta(hours=4)),
            ("queued", timedelta(hours=5)),
        ]
        assert "beyond the grace period of 600 s" in (runs[1].detail or "")


async def test_empty_chat_list_sends_nothing_and_says_so_once(
    database_url: str,
    telegram: FakeTelegram,
    clock: FakeClock,
    json_logs: pytest.CaptureFixture[str],
) -> None:
    settings = telegram_settings(database_url, telegram)
    async with started(settings, clock) as runtime:
        guides = await runtime.schedules.get_by_name("guides")
        assert guides is not None
        for _ in range(3):
            result = await runtime.runner.run_due(guides.id)
            assert result is not None and (result.status, result.chats) == ("no_chats", 0)
            clock.advance(4 * HOUR)
        await send_all(runtime)
    assert telegram.requests_for("sendMessage") == []
    warnings = [e for e in log_lines(json_logs) if e.get("event") == "schedule_has_no_chats"]
    assert len(warnings) == 1


async def test_an_edit_during_a_run_applies_from_the_next_slot(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    settings = telegram_settings(database_url, telegram, guide_chat_ids=[A, B])
    async with started(settings, clock) as runtime:
        guides = await runtime.schedules.get_by_name("guides")
        assert guides is not None
        await runtime.runner.run_due(guides.id)  # claimed and queued, not yet sent
        await runtime.schedules.update(guides.id, ScheduleChanges(chat_ids=[A]))
        guide_ids = [g.id for g in await runtime.content.all(Kind.GUIDE)]
        await runtime.content.update(guide_ids[1], Kind.GUIDE, {"title": "Edited"})
        await send_all(runtime)
        assert titles(telegram, B) == ["Trading Fundamentals"]  # the run in flight went out
        clock.advance(4 * HOUR)
        await runtime.runner.run_due(guides.id)
        await send_all(runtime)
    assert titles(telegram, A) == ["Trading Fundamentals", "Edited"]
    assert titles(telegram, B) == ["Trading Fundamentals"]
