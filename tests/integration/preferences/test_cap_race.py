"""Two workers judging one recipient at once cannot both take the last slot of a cap:
the count is checked as it is added (PostgreSQL, where workers run in parallel)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from herald.clock import FakeClock
from herald.config import AudienceSettings
from herald.db import Database, migrate
from herald.db.tables import audience_counts
from herald.preferences import CategoryStore, PreferenceStore
from herald.preferences.gate import PreferenceGate
from herald.queue import DeliveryQueue, Lane, NewDelivery
from herald.worker.gate import Defer
from tests.support.postgres import PostgresServer

CAPPED = AudienceSettings(daily_cap=1)


async def test_two_gates_let_one_message_through_a_cap_of_one(
    postgres_server: PostgresServer, clock: FakeClock
) -> None:
    url = postgres_server.create_database("herald_cap_race")
    dbs = [Database(url) for _ in range(3)]  # two workers' and the test's own
    try:
        await migrate.upgrade(dbs[0])
        queue = DeliveryQueue(dbs[0], clock)
        await queue.enqueue_many(
            NewDelivery(
                channel="email",
                recipient="r@example.org",
                payload={"audience": {"recipient_id": 7, "category": None, "gated": True}},
                lane=Lane.CAMPAIGN,
                ordering_key=f"k{i}",  # both may be claimed at once
            )
            for i in range(2)
        )
        claimed = [await queue.claim("email", 1, f"w{i}") for i in range(2)]
        gates = [
            PreferenceGate(PreferenceStore(db, clock), CategoryStore(db, clock), CAPPED, clock)
            for db in dbs[:2]
        ]
        # The test holds the day's count row locked: both gates read 0 sent and then wait
        # to add theirs, as two workers whose reads crossed.
        day = clock.now().date().isoformat()
        async with dbs[2].engine.begin() as conn:
            await conn.execute(
                audience_counts.insert().values(
                    recipient_id=7, channel="email", day=day, bucket="", sent=0
                )
            )
        async with dbs[2].engine.begin() as lock:
            await lock.execute(
                text("SELECT sent FROM audience_counts WHERE recipient_id = 7 FOR UPDATE")
            )
            judging = [asyncio.create_task(g.judge(c)) for g, c in zip(gates, claimed, strict=True)]
            await _until_waiting(dbs[2], 2)
        verdicts = await asyncio.gather(*judging)

        held = [v for verdict in verdicts for v in verdict.values()]
        assert len(held) == 1 and isinstance(held[0], Defer) and held[0].reason == "daily_cap"
        async with dbs[2].read() as conn:
            assert await conn.scalar(text("SELECT sent FROM audience_counts")) == 1
    finally:
        for db in dbs:
            await db.dispose()


async def _until_waiting(db: Database, n: int) -> None:
    """Until ``n`` sessions wait for a lock (the gates' writes behind the test's)."""
    for _ in range(500):
        async with db.read() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        if waiting == n:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{waiting} sessions wait for a lock, not {n}")
