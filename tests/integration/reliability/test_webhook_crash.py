"""`herald worker` killed with SIGKILL while webhook events are pending (some not yet
fanned out, some queued, some in flight): a second worker delivers every one of them,
each request verified by the standardwebhooks package."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from herald.clock import SystemClock
from herald.db import Database, migrate, tables
from herald.events import Event, EventType, record
from herald.webhooks import EndpointStore, NewEndpoint
from tests.support.processes import herald_env, start_herald, stop_all
from tests.support.webhook_receiver import Receiver

BEFORE, DURING = 200, 200  # events recorded before the first worker starts, then while it runs
KILL_AFTER = 60  # requests received before the kill


async def _emit(db: Database, clock: SystemClock, count: int, start: int) -> list[str]:
    events = [
        Event(EventType.DELIVERY_SENT, f"delivery:{i % 40}", {"delivery_id": i}, clock.now())
        for i in range(start, start + count)
    ]
    async with db.write() as conn:
        await record(conn, events)
    return [e.id for e in events]


async def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)


@pytest.mark.slow
async def test_sigkill_of_a_worker_loses_no_pending_event(
    database_url: str, tmp_path: Path
) -> None:
    clock = SystemClock()
    db = Database(database_url)
    await migrate.upgrade(db)
    env = herald_env(
        database_url,
        HERALD_WEBHOOKS__ALLOW_PRIVATE_NETWORKS="true",
        HERALD_LEASE_SECONDS="2",  # a lost lease is rescued within a second
        HERALD_WEBHOOKS__ENDPOINT_RATE_PER_SECOND="1000",  # 400 events, not in 20 s
        HERALD_WEBHOOKS__ENDPOINT_BURST="100",
        HERALD_LOG_LEVEL="WARNING",
    )
    async with Receiver(clock, pause_seconds=0.02) as receiver:
        _, secret = await EndpointStore(db, clock, allow_private=True).create(
            NewEndpoint(receiver.url, ["*"])
        )
        receiver.secrets.append(secret)
        ids = await _emit(db, clock, BEFORE, 0)
        first = start_herald("worker", env, tmp_path, tmp_path / "first.log")
        second = None
        try:
            await _until(lambda: len(receiver.requests) >= 10, 60, "the first worker sent nothing")
            ids += await _emit(db, clock, DURING, BEFORE)
            await _until(lambda: len(receiver.requests) >= KILL_AFTER, 60, "too slow to kill")
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            got_before_kill = len({r.headers["webhook-id"] for r in receiver.requests})
            assert got_before_kill < len(ids)

            second = start_herald("worker", env, tmp_path, tmp_path / "second.log")
            wanted = set(ids)
            await _until(
                lambda: wanted <= {r.headers["webhook-id"] for r in receiver.requests},
                120,
                "events lost after the kill",
            )
        finally:
            await stop_all([p for p in (first, second) if p is not None])
        assert all(r.verified_by == [secret] for r in receiver.requests)
        e, d = tables.events, tables.deliveries
        async with db.read() as conn:
            unfanned = await conn.scalar(
                sa.select(sa.func.count()).select_from(e).where(e.c.fanned_out_at.is_(None))
            )
            states = (
                await conn.execute(
                    sa.select(d.c.state, sa.func.count())
                    .where(d.c.channel == "webhook")
                    .group_by(d.c.state)
                )
            ).all()
        assert unfanned == 0
        assert dict(states) == {"sent": len(ids)}  # one delivery per event, each sent
    await db.dispose()
