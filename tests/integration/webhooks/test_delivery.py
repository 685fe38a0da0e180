"""Events posted to endpoints over loopback, on both databases, every request verified
by the ``standardwebhooks`` package: matching, order, retries on the fixed schedule
after 500s and a timeout, secret rotation, a 410, five days of failures, the test event."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from herald.clock import FakeClock
from herald.config import load_settings
from herald.db import tables
from herald.events import Event, EventType, record
from herald.messaging.intake import Accepted, NewNotification
from herald.messaging.recipients import RecipientFields
from herald.queue import State
from herald.runtime import Runtime
from herald.webhooks import EndpointStore, NewEndpoint
from herald.webhooks.fanout import Fanout
from tests.integration.webhooks.conftest import HOOKS, Hooked
from tests.support.alerts import SL_VARS
from tests.support.app import serve
from tests.support.events import events_of
from tests.support.waiting import eventually
from tests.support.webhook_receiver import TIMEOUT, Receiver

SENT, DEAD = EventType.DELIVERY_SENT, EventType.DELIVERY_DEAD_LETTERED
CLICK = EventType.CLICK_RECORDED


async def webhook_deliveries(runtime: Runtime) -> list[sa.Row[tuple[object, ...]]]:
    d = tables.deliveries
    async with runtime.db.read() as conn:
        query = sa.select(d).where(d.c.channel == "webhook").order_by(d.c.id)
        return list((await conn.execute(query)).all())


async def test_each_endpoint_gets_the_events_it_subscribes_to_signed(hooked: Hooked) -> None:
    everything = await hooked.endpoint(["*"])
    deliveries = await hooked.endpoint(["delivery.*"], path="?only=deliveries")
    events = [
        hooked.event(SENT, "delivery:1", delivery_id=1),
        hooked.event(CLICK, "promo:7", promo_id=7),
        hooked.event(DEAD, "delivery:1", delivery_id=1),
    ]
    await hooked.emit(*events)
    await hooked.pump()

    requests = hooked.receiver.requests
    assert len(requests) == 5  # three to the first, the two delivery events to the second
    for r in requests:
        assert r.verified_by and r.headers["Content-Type"] == "application/json"
    for_all = [r for r in requests if r.verified_by == [everything["secret"]]]
    for_deliveries = [r for r in requests if r.verified_by == [deliveries["secret"]]]
    assert {r.headers["webhook-id"] for r in for_all} == {e.id for e in events}
    # One subject's events arrive in the order they were recorded.
    assert [r.json["type"] for r in for_deliveries] == [SENT, DEAD]
    [first] = [r.json for r in for_all if r.headers["webhook-id"] == events[0].id]
    assert first == {
        "type": "delivery.sent",
        "timestamp": events[0].occurred_at.isoformat().replace("+00:00", "Z"),
        "data": {"delivery_id": 1},
    }
    assert int(requests[0].headers["webhook-timestamp"]) == int(hooked.clock.now().timestamp())

    attempts = (await hooked.client.get(f"{HOOKS}/{everything['id']}/attempts")).json()
    assert [a["status"] for a in attempts] == [200, 200, 200]
    assert attempts[0]["response"] == "answered 200" and attempts[0]["ok"] is True
    assert await hooked.runtime.fanout.drain() == 0  # every event fanned out once


async def test_fan_outs_racing_queue_each_event_once_in_order(hooked: Hooked) -> None:
    """Two fan-outs at once (two processes): when both read the events before either
    writes, the one that marks them second queues none of them again."""
    await hooked.endpoint(["*"])
    events = [hooked.event(SENT, f"delivery:{i % 3}", delivery_id=i) for i in range(12)]
    await hooked.emit(*events)
    rt = hooked.runtime
    other = Fanout(rt.db, rt.clock, rt.queue, rt.fanout.store)
    taken = await asyncio.gather(rt.fanout.once(), other.once())
    assert sorted(taken) in ([12, 12], [0, 12])  # both read them, or one after the other
    queued = [d.payload["event_id"] for d in await webhook_deliveries(rt)]
    assert queued == [e.id for e in events]
    assert await rt.fanout.drain() == 0


async def test_events_nobody_hears_are_marked_and_never_sent(hooked: Hooked) -> None:
    """With no endpoint (the fan-out then reads no event's data) or none subscribed to
    a type, the events are marked fanned out and queue nothing; an endpoint added
    later hears what happens after it, not before."""
    await hooked.emit(hooked.event(SENT, "delivery:1", delivery_id=1))
    assert await hooked.runtime.fanout.drain() == 1
    await hooked.endpoint(["click.*"])
    later = hooked.event(CLICK, "promo:7", promo_id=7)
    await hooked.emit(hooked.event(SENT, "delivery:2", delivery_id=2), later)
    assert await hooked.runtime.fanout.drain() == 2
    await hooked.pump()
    assert [r.headers["webhook-id"] for r in hooked.receiver.requests] == [later.id]
    assert [r.json["data"] for r in hooked.receiver.requests] == [{"promo_id": 7}]
    assert len(await webhook_deliveries(hooked.runtime)) == 1


async def test_a_notification_delivered_reaches_the_endpoint(hooked: Hooked) -> None:
    endpoint = await hooked.endpoint(["notification.*", "delivery.sent"])
    runtime = hooked.runtime
    await runtime.recipients.put("trader", RecipientFields(telegram_chat_id="42"))
    [accepted] = await runtime.intake.accept_all(
        [NewNotification("trader", "position_sl_failed", SL_VARS, ("telegram",))]
    )
    assert isinstance(accepted, Accepted)
    await runtime.worker(exclusive=False).drain()  # the alert itself (sandbox Telegram)
    await hooked.pump()

    got = {e["type"]: e["data"] for e in hooked.receiver.events()}
    assert set(got) == {"delivery.sent", "notification.delivered"}
    assert got["notification.delivered"]["notification_id"] == accepted.id
    assert got["delivery.sent"]["channel"] == "telegram"
    assert all(r.verified_by == [endpoint["secret"]] for r in hooked.receiver.requests)


async def test_retries_follow_the_schedule_after_500s_and_a_timeout(hooked: Hooked) -> None:
    await hooked.endpoint(["*"])
    hooked.receiver.script = [500, 503, TIMEOUT, 200]
    event = hooked.event(SENT, "delivery:9", delivery_id=9)
    await hooked.emit(event)
    await hooked.pump()
    assert len(hooked.receiver.requests) == 1
    await hooked.later(4.9)
    assert len(hooked.receiver.requests) == 1  # 5 s, not sooner
    await hooked.later(0.1)
    assert len(hooked.receiver.requests) == 2
    await hooked.later(300)  # 5 min: the request that times out
    await hooked.later(1800)  # 30 min
    requests = hooked.receiver.requests
    assert [r.answered for r in requests] == [500, 503, TIMEOUT, 200]
    assert {r.headers["webhook-id"] for r in requests} == {event.id}  # stable across retries
    assert all(r.verified_by for r in requests)  # each signed at its own time
    [delivery] = await webhook_deliveries(hooked.runtime)
    assert delivery.state == State.SENT and delivery.attempts == 4

    attempts = await hooked.runtime.webhooks.attempts(int(delivery.recipient))
    assert [a.status for a in attempts] == [200, None, 503, 500]
    assert attempts[1].error == "endpoint did not answer in time"


# One database: RetryAfter's row update is the queue's, conformance-tested on both.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_429_with_retry_after_is_retried_then_and_costs_no_attempt(
    hooked: Hooked,
) -> None:
    limited = await hooked.endpoint(["delivery.*"])
    other = await hooked.endpoint(["click.*"], path="?other")
    hooked.receiver.script = [429]
    hooked.receiver.retry_after = "120"
    await hooked.emit(hooked.event(SENT, "delivery:1", delivery_id=1))
    await hooked.pump()
    await hooked.emit(hooked.event(CLICK, "click:1"))
    await hooked.pump()  # the other endpoint is not held back
    assert [r.verified_by for r in hooked.receiver.requests] == [
        [limited["secret"]],
        [other["secret"]],
    ]
    await hooked.later(119)
    assert len(hooked.receiver.requests) == 2  # not before the 120 s asked
    await hooked.later(1)
    assert [r.answered for r in hooked.receiver.requests] == [429, 200, 200]
    limited_delivery = (await webhook_deliveries(hooked.runtime))[0]
    assert limited_delivery.state == State.SENT and limited_delivery.attempts == 1


async def test_after_the_last_retry_the_event_is_a_replayable_dead_letter(
    hooked: Hooked,
) -> None:
    await hooked.endpoint(["*"])
    hooked.receiver.otherwise = 500
    await hooked.emit(hooked.event(SENT, "delivery:3", delivery_id=3))
    await hooked.pump()
    for delay in (5, 300, 1800, 7200, 18000, 36000, 36000):
        await hooked.later(delay)
    assert len(hooked.receiver.requests) == 8
    [delivery] = await webhook_deliveries(hooked.runtime)
    assert delivery.state == State.DEAD and "gave up after 8 attempts" in delivery.last_error

    hooked.receiver.otherwise = 200
    replayed = await hooked.client.post(f"/api/v1/dead-letters/{delivery.id}/replay")
    assert replayed.status_code == 200, replayed.text
    await hooked.pump()
    assert hooked.receiver.requests[-1].answered == 200


async def test_after_a_rotation_both_secrets_sign_for_a_day(hooked: Hooked) -> None:
    endpoint = await hooked.endpoint(["*"])
    rotated = (await hooked.client.post(f"{HOOKS}/{endpoint['id']}/rotate-secret")).json()
    hooked.receiver.secrets.append(rotated["secret"])
    await hooked.emit(hooked.event(SENT, "delivery:1", delivery_id=1))
    await hooked.pump()
    [request] = hooked.receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert request.verified_by == [endpoint["secret"], rotated["secret"]]

    hooked.clock.advance(24 * 3600)
    await hooked.emit(hooked.event(SENT, "delivery:2", delivery_id=2))
    await hooked.pump()
    assert hooked.receiver.requests[-1].verified_by == [rotated["secret"]]


async def test_a_410_disables_the_endpoint_and_others_hear_of_it(hooked: Hooked) -> None:
    endpoint = await hooked.endpoint(["delivery.*"])
    watcher = await hooked.endpoint(["webhook.*"], path="?watcher")
    hooked.receiver.script = [410]
    await hooked.emit(hooked.event(SENT, "delivery:1", delivery_id=1))
    await hooked.pump()
    shown = (await hooked.client.get(f"{HOOKS}/{endpoint['id']}")).json()
    assert shown["enabled"] is False and "410" in shown["disabled_reason"]
    [delivery] = await webhook_deliveries(hooked.runtime)
    assert delivery.state == State.DEAD

    await hooked.emit(hooked.event(SENT, "delivery:2", delivery_id=2))
    await hooked.pump()
    to_endpoint = [r for r in hooked.receiver.requests if r.verified_by == [endpoint["secret"]]]
    assert len(to_endpoint) == 1  # a disabled endpoint is sent nothing
    [heard] = [r.json for r in hooked.receiver.requests if r.verified_by == [watcher["secret"]]]
    assert heard["type"] == "webhook.endpoint_disabled"
    assert heard["data"]["endpoint_id"] == endpoint["id"]
    assert heard["data"]["reason"] == "the endpoint answered 410 Gone"


async def test_five_days_of_failures_disable_the_endpoint(hooked: Hooked) -> None:
    endpoint = await hooked.endpoint(["*"])
    hooked.receiver.otherwise = 500
    for day in range(2):  # failing at day 0, 2.5 and 5
        await hooked.emit(hooked.event(SENT, f"delivery:{day}", delivery_id=day))
        await hooked.pump()
        shown = (await hooked.client.get(f"{HOOKS}/{endpoint['id']}")).json()
        assert shown["enabled"] is True
        assert shown["failing_since"] is not None
        await hooked.later(2.5 * 24 * 3600)
    shown = (await hooked.client.get(f"{HOOKS}/{endpoint['id']}")).json()
    assert shown["enabled"] is False and "5 days" in shown["disabled_reason"]
    [disabled] = await events_of(hooked.runtime.db, EventType.WEBHOOK_ENDPOINT_DISABLED)
    assert disabled.subject == f"webhook:{endpoint['id']}"


async def test_the_test_event_goes_to_that_endpoint_alone(hooked: Hooked) -> None:
    endpoint = await hooked.endpoint(["delivery.sent"])
    other = await hooked.endpoint(["*"], path="?other")
    answer = await hooked.client.post(f"{HOOKS}/{endpoint['id']}/test")
    assert answer.status_code == 202, answer.text
    await hooked.pump()
    [request] = hooked.receiver.requests
    assert request.verified_by == [endpoint["secret"]] != [other["secret"]]
    assert request.headers["webhook-id"] == answer.json()["event_id"]
    assert request.json["type"] == "webhook.test"
    assert request.json["data"]["endpoint_id"] == endpoint["id"]
    assert (await hooked.client.post(f"{HOOKS}/999/test")).status_code == 404


async def test_private_addresses_are_refused_again_at_send_time(
    database_url: str, clock: FakeClock
) -> None:
    """Endpoints stored while private networks were allowed (or whose name now resolves
    into one) are not called once they are not: the request is never made."""
    settings = load_settings(env="dev", database_url=database_url)
    async with Receiver(clock) as receiver, serve(settings, clock) as (client, runtime):
        port = receiver.url.split(":")[2].split("/")[0]
        permissive = EndpointStore(runtime.db, clock, allow_private=True)
        urls = [
            f"https://localhost:{port}/hook",  # a name: refused by the resolver
            f"https://[::ffff:127.0.0.1]:{port}/hook",  # a literal, IPv4-mapped
            receiver.url,  # plain http
        ]
        for url in urls:
            await permissive.create(NewEndpoint(url, ["*"]))
        async with runtime.db.write() as conn:
            await record(conn, [Event(SENT, "delivery:1", {"delivery_id": 1}, clock.now())])
        await runtime.fanout.drain()
        await runtime.worker(exclusive=False).drain()
        assert receiver.requests == []
        deliveries = await webhook_deliveries(runtime)
        assert [d.state for d in deliveries] == [State.DEAD] * 3
        assert all(d.last_error for d in deliveries)
        assert "localhost resolves to 127.0.0.1 is a loopback address" in deliveries[0].last_error
        attempts = (await client.get(f"{HOOKS}/1/attempts")).json()
        assert attempts[0]["status"] is None and attempts[0]["ok"] is False


async def test_the_fan_out_waits_while_the_worker_holds_background_work(hooked: Hooked) -> None:
    """Beside a worker whose alerts are bursting, the fan-out queues nothing (its write
    of a delivery per event waits with the webhook channel's claims), then catches up."""
    await hooked.endpoint(["*"])
    await hooked.emit(hooked.event(SENT, "delivery:1", delivery_id=1))
    held, asked = [True], []

    def hold(now: float) -> tuple[bool, float]:
        asked.append(now)
        return held[0], 0.01

    stop = asyncio.Event()
    running = asyncio.create_task(hooked.runtime.fanout.run(stop, hold))
    try:
        await eventually(lambda: len(asked) >= 3, what="the fan-out asking thrice")
        assert await webhook_deliveries(hooked.runtime) == []
        held[0] = False
        await eventually(lambda: webhook_deliveries(hooked.runtime), what="the event queued")
    finally:
        stop.set()
        await running
    assert len(await webhook_deliveries(hooked.runtime)) == 1
