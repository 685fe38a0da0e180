"""Events past the delivery retention are pruned by the worker's maintenance pass, fanned
out or not (nothing reads an event nobody fanned out), on both databases."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from herald.clock import FakeClock
from herald.db import Database, tables
from herald.events import Event, EventType, record
from herald.events.schemas import WebhookTest
from herald.worker.maintenance import Maintenance
from tests.support.events import events_of
from tests.support.senders import scripted_runtime

DAY = timedelta(days=1)


def _event(endpoint_id: int, clock: FakeClock) -> Event:
    return WebhookTest(endpoint_id=endpoint_id, sent_at=clock.now()).event(clock.now())


async def test_maintenance_prunes_events_older_than_the_retention(
    db: Database, clock: FakeClock
) -> None:
    async with scripted_runtime(db.url, clock, {"telegram": {}}) as runtime:
        retention = timedelta(days=runtime.settings.retention_days)
        old_fanned, old_unread, old_late = (_event(n, clock) for n in (1, 2, 3))
        async with db.write() as conn:
            await record(conn, [old_fanned, old_unread, old_late])
        clock.advance((retention + DAY).total_seconds())
        fresh = _event(4, clock)
        async with db.write() as conn:
            await record(conn, [fresh])
            e = tables.events
            fanned = {old_fanned.id: clock.now() - retention - DAY / 2, fresh.id: clock.now()}
            fanned[old_late.id] = clock.now() - DAY  # occurred long ago, fanned out lately
            for event_id, at in fanned.items():
                await conn.execute(
                    sa.update(e).where(e.c.event_id == event_id).values(fanned_out_at=at)
                )
        maintenance = Maintenance(runtime.queue, "w1", runtime.metrics, None, retention)
        await maintenance.run()  # the worker's periodic pass

        kept = {r.event_id for r in await events_of(db, EventType.WEBHOOK_TEST)}
        assert kept == {old_late.id, fresh.id}
