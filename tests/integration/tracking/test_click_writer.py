"""The click writer: one INSERT per batch, a row the database refuses drops alone, and a
caller at a full buffer waits for the next batch, not for the backlog."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from herald.db import Database, migrate
from herald.db.tables import clicks, events
from herald.metrics import Metrics
from herald.tracking.clicks import ClickStore, NewClick
from tests.support.logs import log_lines

WHEN = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def test_one_row_the_database_refuses_is_dropped_and_the_rest_written(
    db: Database, json_logs: pytest.CaptureFixture[str]
) -> None:
    await migrate.upgrade(db)
    store = ClickStore(db, Metrics())
    for user in (1, 2**70, 3):  # 2**70 fits no BIGINT / SQLite INTEGER
        await store.record(NewClick("callback", WHEN, promo_id=9, cta=0, telegram_user_id=user))
    store.start()
    await store.close()
    async with db.read() as conn:
        stored = (await conn.execute(select(clicks.c.telegram_user_id))).scalars().all()
    assert sorted(stored) == [1, 3]
    refused = [line for line in log_lines(json_logs) if line["event"] == "click_refused"]
    assert len(refused) == 1 and refused[0]["promo_id"] == 9


async def test_a_batch_is_one_insert_and_every_value_comes_back(db: Database) -> None:
    """Every column round-trips through the one multi-row INSERT, on both databases, and
    only the person's clicks (not the flagged hit) make a click.recorded event."""
    await migrate.upgrade(db)
    statements: list[bool] = []  # each INSERT INTO clicks: was it an executemany?

    def seen(conn: Any, cursor: Any, sql: str, params: Any, ctx: Any, many: bool) -> None:
        if sql.lstrip().upper().startswith("INSERT INTO CLICKS"):
            statements.append(many)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    full = NewClick(
        "callback",
        WHEN,
        promo_id=9,
        cta=2,
        cta_text="Open",
        telegram_user_id=2**40,
        username="trader",
        chat_id="-1001234567890",
        message_id=5512,
        meta={"ua": "x", "n": [1, 2]},
        variant="b",
    )
    bare = NewClick("link", WHEN, link_id=4, recipient="user-1")
    robot = NewClick("link", WHEN, link_id=4, flag="preview")
    store = ClickStore(db, Metrics())
    store.start()
    for click in (full, bare, robot):  # buffered for the writer: one batch
        await store.record(click)
    await store.close()
    event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert statements == [False]  # one statement, not one per row
    async with db.read() as conn:
        stored = (await conn.execute(select(clicks).order_by(clicks.c.id))).all()
        types = (await conn.execute(select(events.c.subject))).scalars().all()
    got = [{k: v for k, v in r._mapping.items() if k != "id"} for r in stored]
    assert got == [asdict(full), asdict(bare), asdict(robot)]
    assert sorted(types) == ["link:4", "promo:9"]


async def test_a_caller_at_a_full_buffer_waits_for_the_next_batch_not_the_backlog(
    tmp_path: Path,
) -> None:
    """Issue 19: a press that found the buffer full waited until the writer had written
    everything, a second and more under a burst. On SQLite, whose writers queue in
    order on one lock, the test lets the writer write one batch and then holds the lock
    again: the waiting caller must be through by then."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/clicks.db")
    await migrate.upgrade(db)
    store = ClickStore(db, Metrics(), batch_size=2, max_buffer=4)
    store.start()
    let_go = asyncio.Event()

    async def hold_the_write_lock() -> None:
        async with db.write():
            await let_go.wait()

    try:
        async with db.write():  # the writer's first batch queues behind this
            for user in range(4):  # below the bound: each returns at once
                click = NewClick("callback", WHEN, telegram_user_id=user)
                await asyncio.wait_for(store.record(click), 30)
            fifth = asyncio.create_task(
                store.record(NewClick("callback", WHEN, telegram_user_id=4))
            )
            for _ in range(50):  # the writer reaches the lock; the fifth finds no room
                await asyncio.sleep(0)
            assert not fifth.done()
            holder = asyncio.create_task(hold_the_write_lock())  # queued after the writer
            await asyncio.sleep(0)
        # The writer writes one batch (room for the fifth), then queues behind the holder.
        await asyncio.wait_for(fifth, 30)
        async with db.read() as conn:
            assert await conn.scalar(select(func.count()).select_from(clicks)) == 2
        let_go.set()
        await holder
        await store.close()
        async with db.read() as conn:
            stored = (await conn.execute(select(clicks.c.telegram_user_id))).scalars().all()
        assert sorted(stored) == [0, 1, 2, 3, 4]
    finally:
        let_go.set()
        await db.dispose()
