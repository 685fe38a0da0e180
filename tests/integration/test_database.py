"""The database layer: SQLite settings, write transactions, migrations, PG wake-ups."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from herald.clock import SystemClock
from herald.db import Database, is_outage, migrate
from herald.db.tables import schedule_chats, schedule_posts
from herald.queue import DeliveryQueue, NewDelivery, State
from herald.queue.wakeup import PostgresListener, Wakeup
from herald.worker import ChannelPlan, Worker, WorkerOptions
from tests.support.senders import ScriptedSender


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/h.db", sqlite_busy_timeout_ms=4321)
    try:
        async with db.read() as conn:
            assert await conn.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await conn.scalar(text("PRAGMA busy_timeout")) == 4321
    finally:
        await db.dispose()


async def test_sqlite_read_then_write_transactions_never_fail_busy(tmp_path: Path) -> None:
    # Deferred transactions that read, then write, fail with SQLITE_BUSY at once when
    # they collide; BEGIN IMMEDIATE makes them wait their turn instead.
    url = f"sqlite+aiosqlite:///{tmp_path}/h.db"
    setup = Database(url)
    async with setup.write() as conn:
        await conn.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        await conn.execute(text("INSERT INTO counter VALUES (0)"))
    await setup.dispose()
    engines = [Database(url) for _ in range(8)]

    async def bump(db: Database) -> None:
        for _ in range(25):
            async with db.write() as conn:
                n = await conn.scalar(text("SELECT n FROM counter"))
                await asyncio.sleep(0)  # let the others start their transactions
                await conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    try:
        await asyncio.gather(*(bump(db) for db in engines))
        async with engines[0].read() as conn:
            assert await conn.scalar(text("SELECT n FROM counter")) == 200  # no lost update
    finally:
        for db in engines:
            await db.dispose()


async def test_migrations_go_down_and_up_again(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        assert not await migrate.is_current(db)
        await migrate.upgrade(db)
        assert await migrate.is_current(db)
        await migrate.upgrade(db)  # idempotent
        async with db.write() as conn:
            await conn.run_sync(_downgrade_to_base)
        assert await migrate.current_revisions(db) == set()
        await migrate.upgrade(db)
        assert await migrate.current_revisions(db) == migrate.head_revisions()
    finally:
        await db.dispose()


def _downgrade_to_base(connection: object) -> None:
    from alembic import command

    config = migrate.alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_notify_wakes_a_worker_in_another_process(db: Database) -> None:
    """An enqueue through one engine wakes a worker listening on another at once,
    long before its (deliberately huge) poll interval."""
    worker_queue = DeliveryQueue(db, SystemClock())
    sender = ScriptedSender("telegram", SystemClock())
    worker = Worker(
        worker_queue, {"telegram": ChannelPlan(sender)}, options=WorkerOptions(poll_interval=60.0)
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    other = Database(db.url)  # another pool, as another process would have
    try:
        await asyncio.sleep(0.3)  # let the worker LISTEN and settle into its wait
        delivery_id = (
            await DeliveryQueue(other, SystemClock()).enqueue(NewDelivery("telegram", "1", {}))
        ).id
        async with asyncio.timeout(5):
            while (d := await worker_queue.get(delivery_id)) and d.state is not State.SENT:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task
        await other.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_listener_sets_the_wakeup(db: Database) -> None:
    wakeup = Wakeup()
    listener = PostgresListener(db, wakeup)
    await listener.start()
    try:
        queue = DeliveryQueue(Database(db.url), SystemClock())
        await queue.enqueue(NewDelivery("email", "a@example.com", {}))
        await queue.db.dispose()
        assert await wakeup.wait(5)
    finally:
        await listener.stop()


async def test_downgrading_below_topics_keeps_one_row_per_chat(database_url: str) -> None:
    """0012's downgrade: a chat listed with several topics keeps the chat's own row (or
    its lowest topic), since the older unique keys have no topic."""
    db = Database(database_url)
    try:
        await migrate.upgrade(db)
        at = datetime(2026, 12, 7, 8, tzinfo=UTC)
        async with db.write() as conn:
            for n, (chat, topic) in enumerate([("-1", 0), ("-1", 5), ("-2", 9), ("-2", 3)]):
                await conn.execute(
                    insert(schedule_chats).values(
                        schedule_id=1, chat_id=chat, topic_id=topic, active=True,
                        added_at=at, updated_at=at,
                    )
                )  # fmt: skip
                await conn.execute(
                    insert(schedule_posts).values(
                        run_id=7, chat_id=chat, topic_id=topic, status=f"sent{n}", updated_at=at
                    )
                )
        async with db.write() as conn:
            await conn.run_sync(_downgrade_to, "0011")
        async with db.read() as conn:
            chats = (await conn.execute(text("SELECT chat_id FROM schedule_chats"))).all()
            posts = (await conn.execute(text("SELECT chat_id, status FROM schedule_posts"))).all()
        assert sorted(r.chat_id for r in chats) == ["-1", "-2"]
        assert sorted((r.chat_id, r.status) for r in posts) == [("-1", "sent0"), ("-2", "sent3")]
        await migrate.upgrade(db)
        assert await migrate.current_revisions(db) == migrate.head_revisions()
    finally:
        await db.dispose()


def _downgrade_to(connection: object, revision: str) -> None:
    from alembic import command

    config = migrate.alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def _kill_pooled_connection(db: Database) -> None:
    """End the server side of ``db``'s one pooled connection (as a restart would)."""
    async with db.read() as conn:
        pid = await conn.scalar(text("SELECT pg_backend_pid()"))
    other = Database(db.url)
    try:
        async with other.read() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_tests_an_idle_connection_before_handing_it_out(database_url: str) -> None:
    db = Database(database_url, ping_after_idle=0.0)  # every pooled connection counts as idle
    try:
        await _kill_pooled_connection(db)
        async with db.read() as conn:  # the dead one was found out and replaced
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await db.dispose()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_hands_a_busy_connection_out_untested(database_url: str) -> None:
    """No test round trips on the hot path: a connection back in the pool moments ago is
    used as it is; if the server dropped it meanwhile, that one statement fails as an
    outage and the pool is discarded, so the next one runs on a new connection."""
    db = Database(database_url, ping_after_idle=3600.0)
    try:
        await _kill_pooled_connection(db)
        with pytest.raises(DBAPIError) as failed:
            async with db.read() as conn:
                await conn.execute(text("SELECT 1"))
        assert is_outage(failed.value)
        async with db.read() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await db.dispose()
