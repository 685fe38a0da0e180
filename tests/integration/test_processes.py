"""Real `herald worker` processes: several share one queue; SIGKILL loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from herald.clock import SystemClock
from herald.db import Database
from herald.db.tables import sandbox_messages
from herald.queue import DeliveryQueue, Lane, NewDelivery, State, admin

pytestmark = pytest.mark.slow
HERALD = str(Path(sys.executable).parent / "herald")


def env_for(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update(
        HERALD_ENV="dev",
        HERALD_DATABASE_URL=database_url,
        HERALD_LOG_LEVEL="WARNING",
        HERALD_TELEGRAM__RATE_PER_SECOND="100000",
        HERALD_TELEGRAM__BURST="1000",
        HERALD_POLL_INTERVAL_SECONDS="0.2",
        **extra,
    )
    return env


@pytest.fixture
def migrated(database_url: str, tmp_path: Path) -> Iterator[str]:
    subprocess.run([HERALD, "migrate"], env=env_for(database_url), cwd=tmp_path, check=True)
    yield database_url


def start_worker(database_url: str, cwd: Path, **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [HERALD, "worker"], env=env_for(database_url, **extra), cwd=cwd, stderr=subprocess.PIPE
    )


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
        for w in workers:
            w.send_signal(signal.SIGTERM)
        codes = [w.wait(timeout=30) for w in workers]
    try:
        assert codes == [0, 0, 0]
        assert await inbox(db) == (total, total)  # nothing lost, nothing sent twice
    finally:
        await db.dispose()


async def test_a_worker_killed_with_sigkill_loses_nothing(migrated: str, tmp_path: Path) -> None:
    db = Database(migrated)
    queue = DeliveryQueue(db, SystemClock())
    total = 1000
    await queue.enqueue_many(NewDelivery("telegram", f"chat-{i}", {}) for i in range(total))
    lease = {"HERALD_LEASE_SECONDS": "2"}
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
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(timeout=30) == 0
    try:
        sent, distinct = await inbox(db)
        assert distinct == total  # zero lost
        # At-least-once: only sends in flight at the kill can have gone out twice.
        assert sent - total <= running
    finally:
        await db.dispose()
