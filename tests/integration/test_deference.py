"""A background channel (the webhook channel) claims nothing while the alerts burst, and
sends everything once they have started: the events wait, the alerts do not."""

from __future__ import annotations

from herald.clock import FakeClock
from herald.queue import DeliveryQueue, Lane, NewDelivery
from herald.worker import ChannelPlan, Worker
from tests.support.senders import ScriptedSender


async def telegram_and_webhooks(
    queue: DeliveryQueue, clock: FakeClock, alerts: int, campaign: int
) -> tuple[Worker, ScriptedSender, ScriptedSender]:
    """A worker for Telegram (at most 25 at once) and the background webhook channel,
    with ``alerts`` transactional and ``campaign`` campaign deliveries queued for
    Telegram and three events for three endpoints."""
    telegram, hooks = ScriptedSender("telegram", clock), ScriptedSender("webhook", clock)
    for lane, n in ((Lane.TRANSACTIONAL, alerts), (Lane.CAMPAIGN, campaign)):
        await queue.enqueue_many(
            NewDelivery("telegram", f"{lane.label}{i}", {"n": i}, lane=lane) for i in range(n)
        )
    await queue.enqueue_many(NewDelivery("webhook", f"e{i}", {"n": i}) for i in range(3))
    plans = {
        "telegram": ChannelPlan(telegram, concurrency=25),  # type: ignore[arg-type]
        "webhook": ChannelPlan(hooks, background=True),  # type: ignore[arg-type]
    }
    return Worker(queue, plans), telegram, hooks


async def test_the_background_channel_waits_while_the_alerts_burst(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    worker, telegram, hooks = await telegram_and_webhooks(queue, clock, alerts=25, campaign=30)
    assert await worker.dispatch_once() == 25  # the alerts; the events hold
    assert worker.channels["webhook"].busy == 0
    clock.advance(1.0)  # the burst's starts have left the window
    summary = await worker.drain()
    assert len(hooks.calls) == 3 and len(telegram.calls) == 55
    assert summary.dead == summary.retried == 0


async def test_campaign_sends_do_not_hold_the_background_channel(
    queue: DeliveryQueue, clock: FakeClock
) -> None:
    worker, telegram, hooks = await telegram_and_webhooks(queue, clock, alerts=0, campaign=40)
    assert await worker.dispatch_once() == 25 + 3
    assert worker.channels["webhook"].busy == 3  # a campaign is no burst of alerts
    await worker.drain()
    assert len(hooks.calls) == 3 and len(telegram.calls) == 40
