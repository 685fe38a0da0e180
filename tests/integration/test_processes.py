"""Real `herald worker` processes on the sandbox channel: several claim from one queue
at once (no channel lease there, unlike Telegram), and on SQLite a SIGKILL loses nothing.

The Telegram path (one dispatcher per bot), crashes on PostgreSQL and scale-out with
`herald serve` are in reliability/test_crash_and_scale.py.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from herald.clock import SystemClock
from herald.db import Database
from herald.db.tables import sandbox_messages
from herald.queue import DeliveryQueue, Lane, NewDelivery, State, admin
from tests.support.processes import herald_env, migrate, start_herald, stop_all

pytestmark = pytest.mark.slow
FAST = {
    "HERALD_LOG_LEVEL": "WARNING",
    "HERALD_TELEGRAM__RATE_PER_SECOND": "100000",
    "HERALD_TELEGRAM__BURST": "1000",
    "HERALD_POLL_INTERVAL_SECONDS": "0.2",
}


@pytest.fixture
def migrated(database_url: str, tmp_path: Path) -> Iterator[str]:
    migrate(database_url, tmp_path)
    yield database_url


def start_worker(database_url: str, cwd: Path, **extra: str) -> subprocess.Popen[bytes]:
    return start_herald("worker", herald_env(database_url, **FAST, **extra), cwd, cwd / "w.log")


async def inbox(db: Database) -> tuple[int, int]:
    """(messages in the sandbox inbox, distinct deliveries among them)."""
    t = sandbox_messages
    async with db.read() as conn:
        row = (
            await conn.execute(select(func.count(), func.count(t.c.delivery_id.distinct())))
        ).one()
    return int(row[0]), int(row[1])


async def wait_all_sent(queue: DeliveryQueue, total: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while (await admin.stats(queue)).total(State.SENT) < total:
        assert time.monotonic() < deadline, await admin.stats(queue)
        await asyncio.sleep(0.1)


async def test_three_worker_processes_send_each_delivery_exactly_once(
    migrated: str, tmp_path: Path
) -> None:
    db = Database(migrated)
    queue = DeliveryQueue(db, SystemClock())
    total = 900
    await queue.enqueue_many(
        NewDelivery("telegram", f"chat-{i}", {"n": i}, lane=Lane.CAMPAIGN) for i in range(total)
    )
    workers = [start_worker(migrated, tmp_path) for _ in range(3)]
    try:
        await wait_all_sent(queue, total, 90)
    finally:
        codes = await stop_all(workers)
    try:
        assert codes == [0, 0, 0]
        assert await inbox(db) == (total, total)  # nothing lost, nothing sent twice
    finally:
        await db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_worker_killed_with_sigkill_loses_nothing_on_sqlite(
    migrated: str, tmp_path: Path
) -> None:
    """SQLite's side of the crash test (a writer killed mid-transaction included)."""
    db = Database(migrated)
    queue = DeliveryQueue(db, SystemClock())
    total = 1000
    await queue.enqueue_many(NewDelivery("telegram", f"chat-{i}", {}) for i in range(total))
    # Short enough to rescue soon after the kill; long enough that a busy machine never
    # lets a live worker's leases expire (they would be sent twice without a crash).
    lease = {"HERALD_LEASE_SECONDS": "5"}
    victim = start_worker(migrated, tmp_path, **lease)
    try:
        deadline = time.monotonic() + 60
        while (await inbox(db))[0] < 150:
            assert time.monotonic() < deadline and victim.poll() is None
            await asyncio.sleep(0.02)
    finally:
        victim.kill()
        victim.wait()
    running = (await admin.stats(queue)).total(State.RUNNING)

    survivor = start_worker(migrated, tmp_path, **lease)
    try:
        await wait_all_sent(queue, total, 90)
    finally:
        assert await stop_all([survivor]) == [0]
    try:
        sent, distinct = await inbox(db)
        assert distinct == total  # zero lost
        # At-least-once: only sends in flight at the kill can have gone out twice.
        assert sent - total <= running
    finally:
        await db.dispose()
