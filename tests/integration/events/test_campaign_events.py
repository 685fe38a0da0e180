"""campaign.finished when a campaign's last delivery ends (or it is cancelled), with its
counts, once, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from herald.clock import FakeClock
from herald.db import Database, migrate, tables
from herald.events import EventType
from herald.messaging.campaigns import CampaignRequest
from herald.messaging.recipients import RecipientFields
from herald.queue import Permanent
from herald.runtime import Runtime
from tests.support.alerts import SL_VARS
from tests.support.events import data_of, events_of
from tests.support.senders import scripted_runtime

TEMPLATE = "position_sl_failed"
FINISHED = EventType.CAMPAIGN_FINISHED
BEFORE = "0024"  # the revision before campaigns got all_queued_at and finished_at


@pytest.fixture
async def runtime(db: Database, clock: FakeClock) -> AsyncIterator[Runtime]:
    blocked = Permanent("Forbidden: bot was blocked by the user", "blocked")
    async with scripted_runtime(db.url, clock, {"telegram": {"13": [blocked]}}) as built:
        for n in ("11", "12", "13"):
            await built.recipients.put(f"u{n}", RecipientFields(telegram_chat_id=n))
        await built.recipients.put("mail-only", RecipientFields(email="m@example.com"))
        yield built


async def test_a_campaign_sent_to_the_end_finishes_once_with_its_counts(
    runtime: Runtime, db: Database
) -> None:
    request = CampaignRequest("digest", TEMPLATE, SL_VARS, "telegram", None)
    campaign_id = await runtime.campaigns.start(request)
    assert await events_of(db, FINISHED) == []  # queued, not sent yet
    for _ in range(2):  # the second drain's maintenance sweeps what a throttle left
        await runtime.worker(exclusive=False).drain()

    [event] = await events_of(db, FINISHED)
    assert event.subject == f"campaign:{campaign_id}"
    assert event.data == {
        "campaign_id": campaign_id,
        "name": "digest",
        "channel": "telegram",
        "status": "finished",
        "queued": 3,
        "skipped": 1,
        "counts": {"sent": 2, "dead": 1, "cancelled": 0},
        "finished_at": event.data["finished_at"],
    }
    assert await runtime.campaigns.finishing.finish() == 0  # over once, said once


async def test_a_campaign_with_nobody_to_send_to_finishes_at_once(
    runtime: Runtime, db: Database
) -> None:
    request = CampaignRequest("nobody", TEMPLATE, SL_VARS, "telegram", ["mail-only"])
    campaign_id = await runtime.campaigns.start(request)
    [event] = await data_of(db, FINISHED)
    assert (event["campaign_id"], event["queued"], event["skipped"]) == (campaign_id, 0, 1)
    assert event["counts"] == {"sent": 0, "dead": 0, "cancelled": 0}


async def test_a_cancelled_campaign_finishes_as_cancelled(runtime: Runtime, db: Database) -> None:
    request = CampaignRequest("oops", TEMPLATE, SL_VARS, "telegram", ["u11", "u12"])
    campaign_id = await runtime.campaigns.start(request)
    assert await runtime.campaigns.cancel(campaign_id) == 2
    [event] = await data_of(db, FINISHED)
    assert (event["campaign_id"], event["status"]) == (campaign_id, "cancelled")
    assert event["counts"] == {"sent": 0, "dead": 0, "cancelled": 2}


async def test_the_migration_counts_campaigns_still_sending_as_queued_whole(
    empty_database_url: str, clock: FakeClock
) -> None:
    db = Database(empty_database_url)
    try:
        await migrate.upgrade(db, BEFORE)
        now = clock.now()
        async with db.write() as conn:
            for id_ in (1, 2):
                await conn.execute(
                    sa.insert(tables.campaigns).values(
                        id=id_, name=f"c{id_}", template=TEMPLATE, variables={},
                        channel="telegram", status="queued", created_at=now,
                    )
                )  # fmt: skip
            await conn.execute(
                sa.insert(tables.deliveries).values(
                    lane=1, channel="telegram", recipient="11", payload={}, state="pending",
                    max_attempts=5, run_at=now, created_at=now, campaign="1",
                )
            )  # fmt: skip
        await migrate.upgrade(db)
        async with db.read() as conn:
            rows = await conn.execute(
                sa.select(tables.campaigns.c.id, tables.campaigns.c.all_queued_at).order_by(
                    tables.campaigns.c.id
                )
            )
            assert [(r.id, r.all_queued_at) for r in rows] == [(1, now), (2, None)]
    finally:
        await db.dispose()
