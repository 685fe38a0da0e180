"""Per-endpoint limits, measured at a real receiver on both databases with the real
clock: a slow endpoint does not hold back another's events, no endpoint has more than
its cap in flight, and the rate holds (a coarse bound; the exact one is a unit test);
an endpoint's own limit, changed by the API, holds in a worker already running."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from herald.clock import SystemClock
from herald.config import load_settings
from herald.events import Event, EventType, record
from herald.runtime import Runtime
from herald.worker.recipients import OWN_LIMITS_SECONDS
from tests.integration.webhooks.conftest import HOOKS, Hooked
from tests.support.app import serve
from tests.support.webhook_receiver import Receiver

SENT, CLICK = EventType.DELIVERY_SENT, EventType.CLICK_RECORDED
CLOCK = SystemClock()


@dataclass(frozen=True)
class Hook:
    """An endpoint subscribed to one event type, ``events`` of which are recorded, the
    receiver taking ``pause`` seconds to answer each of its requests."""

    type: EventType
    events: int
    pause: float = 0.0


async def deliver(
    database_url: str, receiver: Receiver, hooks: dict[str, Hook], **webhooks: Any
) -> float:
    """Register each endpoint (the key: its URL's query), record its events, fan out and
    send everything; returns time.monotonic() when the sending began."""
    settings = load_settings(
        env="dev",
        database_url=database_url,
        webhooks={"allow_private_networks": True, "timeout_seconds": 5, **webhooks},
    )
    async with serve(settings, CLOCK) as (client, runtime):
        for query, hook in hooks.items():
            url = f"{receiver.url}?{query}"
            created = await client.post(HOOKS, json={"url": url, "events": [hook.type]})
            assert created.status_code == 201, created.text
            receiver.secrets.append(created.json()["secret"])
            receiver.pause_for[query] = hook.pause
        for hook in hooks.values():
            await emit(runtime, hook.type, hook.events)
        await runtime.fanout.drain()
        worker = runtime.worker(exclusive=False)
        began = time.monotonic()
        while (await worker.drain()).claimed:
            pass
    return began


async def emit(runtime: Runtime, type_: EventType, count: int) -> None:
    """``count`` events with a subject each, so that ordering holds none of them back."""
    events = [Event(type_, f"delivery:{i}", {"n": i}, CLOCK.now()) for i in range(count)]
    async with runtime.db.write() as conn:
        await record(conn, events)


async def test_a_slow_endpoint_does_not_hold_back_another(database_url: str) -> None:
    # Four slots for the channel. The slow endpoint's events are queued first: without
    # a cap per endpoint they take all four slots for 1.5 s and the other one waits.
    hooks = {"slow": Hook(SENT, 4, pause=1.5), "fast": Hook(CLICK, 4)}
    async with Receiver(CLOCK) as receiver:
        began = await deliver(database_url, receiver, hooks, concurrency=4, endpoint_concurrency=2)
    fast = [r.at - began for r in receiver.requests if r.query == "fast"]
    assert len(fast) == 4 and len(receiver.requests) == 8
    assert max(fast) < 0.75, fast  # while the slow endpoint's first two still hang
    assert receiver.most_in_flight["slow"] == 2
    assert all(r.verified_by for r in receiver.requests)


async def test_an_endpoint_never_has_more_than_its_cap_in_flight(database_url: str) -> None:
    async with Receiver(CLOCK) as receiver:
        await deliver(
            database_url,
            receiver,
            {"a": Hook(SENT, 15, pause=0.1)},
            endpoint_concurrency=3,
            endpoint_rate_per_second=1000,
        )
    assert len(receiver.requests) == 15
    assert receiver.most_in_flight["a"] == 3  # reached, never passed


async def test_an_endpoint_gets_no_more_than_its_rate(database_url: str) -> None:
    async with Receiver(CLOCK) as receiver:
        await deliver(
            database_url,
            receiver,
            {"a": Hook(SENT, 22)},
            endpoint_rate_per_second=10,
            endpoint_burst=2,
        )
    arrived = sorted(r.at for r in receiver.requests)
    assert len(arrived) == 22
    # 2 at once, then 10/s: the last at 2 s. Coarse, for a loaded machine: never faster,
    # and no second holds more than burst + rate.
    assert arrived[-1] - arrived[0] >= 1.9
    for t in arrived:
        assert sum(1 for a in arrived if t <= a < t + 1) <= 12


async def test_an_endpoints_own_limit_reaches_a_running_worker(hooked: Hooked) -> None:
    """One worker throughout: a PATCH of max_in_flight holds at the receiver once the
    worker's read of the endpoints' limits is OWN_LIMITS_SECONDS old, no restart."""
    endpoint = await hooked.endpoint(["delivery.*"])
    hooked.receiver.pause_seconds = 0.1  # long enough for three at once to overlap
    worker = hooked.runtime.worker(exclusive=False)

    async def three(first: int) -> int:
        hooked.receiver.most_in_flight.clear()
        await hooked.emit(
            *(hooked.event(SENT, f"delivery:{n}", delivery_id=n) for n in range(first, first + 3))
        )
        await hooked.runtime.fanout.drain()
        while (await worker.drain()).claimed:
            pass
        return hooked.receiver.most_in_flight[""]

    assert await three(0) == 3  # the default: 4 in flight
    patched = await hooked.client.patch(f"{HOOKS}/{endpoint['id']}", json={"max_in_flight": 1})
    assert patched.status_code == 200, patched.text
    hooked.clock.advance(OWN_LIMITS_SECONDS)
    assert await three(10) == 1
    assert len(hooked.receiver.requests) == 6 and all(
        r.verified_by for r in hooked.receiver.requests
    )
