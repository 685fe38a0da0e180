"""A recipient who unsubscribes in the middle of a campaign gets nothing more from it:
2,000 recipients on SQLite, the real worker and the fake Bot API over loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import insert

from herald.channel import Channel
from herald.db.tables import recipients
from herald.queue import DeliveryFilter, State
from herald.queue.admin import list_deliveries
from tests.integration.preferences.conftest import prefs_app, start_promo
from tests.support.fake_telegram import FakeTelegram
from tests.support.waiting import eventually

AUDIENCE = 2_000
LEAVERS = 30  # the last ones in the campaign's order


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_recipient_who_unsubscribes_mid_campaign_gets_nothing_more(
    database_url: str, tmp_path: Path
) -> None:
    async with (
        FakeTelegram() as telegram,
        prefs_app(
            database_url,
            None,  # the system clock: a real worker at a real pace
            tmp_path,
            telegram_bot_token=telegram.token,
            telegram_api_url=telegram.url,
            telegram={"rate_per_second": 200, "burst": 20},
        ) as (client, runtime),
    ):
        now = runtime.clock.now()
        async with runtime.db.write() as conn:
            await conn.execute(
                insert(recipients),
                [
                    {
                        "external_id": f"m{i}",
                        "telegram_chat_id": str(10_000 + i),
                        "channels": [],
                        "opted_out": [],
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(AUDIENCE)
                ],
            )
        campaign_id = await start_promo(client, "all")

        stop = asyncio.Event()
        worker = asyncio.create_task(runtime.worker(poll_interval=0.05).run(stop))
        try:
            await eventually(lambda: len(telegram.messages) >= 200, 60, "the campaign to start")
            leavers = [f"m{i}" for i in range(AUDIENCE - LEAVERS, AUDIENCE)]
            store = runtime.preferences
            for n, external_id in enumerate(leavers):
                found = await runtime.recipients.get(external_id)
                assert found is not None
                if n % 3 == 0:  # the API, as an operator or the platform would
                    put = await client.put(
                        f"/api/v1/recipients/{external_id}/preferences",
                        json={"unsubscribed_all": True},
                    )
                    assert put.status_code == 200
                elif n % 3 == 1:  # one category, as /stop promos would
                    await store.unsubscribe(
                        found.id, category="promos", channel=None, source="telegram"
                    )
                else:  # one channel, as the preference page would
                    await store.unsubscribe(
                        found.id, category=None, channel=Channel.TELEGRAM, source="page"
                    )
            sent_when_they_left = len(telegram.messages)

            async def finished() -> bool:
                shown = await runtime.campaigns.status(campaign_id)
                assert shown is not None
                return shown.counts["sent"] + shown.counts["skipped"] == AUDIENCE

            await eventually(finished, 120, "the campaign to finish")
        finally:
            stop.set()
            await worker

        assert sent_when_they_left < AUDIENCE - LEAVERS  # they left mid-campaign
        left = {str(10_000 + i) for i in range(AUDIENCE - LEAVERS, AUDIENCE)}
        reached = [str(m["chat"]["id"]) for m in telegram.messages]
        assert not left & set(reached)
        assert len(reached) == len(set(reached)) == AUDIENCE - LEAVERS
        skipped = await list_deliveries(
            runtime.queue, DeliveryFilter(state=State.SKIPPED), limit=100
        )
        assert {d.recipient for d in skipped} == left
        assert all(
            (d.last_error or "").startswith("skipped: the recipient opted out") for d in skipped
        )
