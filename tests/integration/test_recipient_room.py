"""A channel with per-recipient limits (the webhook channel's endpoints) on both
databases: a backlog for a recipient without room costs no claims (each a write, on
SQLite under the lock the alerts' claims wait for) until the room frees, and every
delivery is still sent once."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from herald.clock import FakeClock
from herald.db import Database
from herald.queue import Delivery, DeliveryQueue, NewDelivery, Outcome, Sent
from herald.worker import ChannelPlan, Worker
from herald.worker.ratelimit import RateLimit
from herald.worker.recipients import RecipientLimits

LIMITS = RecipientLimits(concurrency=2, rate=RateLimit(1000, 1000))


class SlowEndpoint:
    """Sends that end when the test says (an endpoint slow to answer), then at once."""

    channel = "webhook"
    sandbox = False

    def __init__(self) -> None:
        self.sent: list[int] = []
        self._waiting: list[asyncio.Event] = []
        self._open = False

    async def send(self, delivery: Delivery) -> Outcome:
        if not self._open:
            gate = asyncio.Event()
            self._waiting.append(gate)
            await gate.wait()
        self.sent.append(delivery.id)
        return Sent(f"m{delivery.id}")

    def answer_one(self) -> None:
        self._waiting.pop(0).set()

    def answer_all(self) -> None:
        self._open = True
        while self._waiting:
            self.answer_one()

    async def close(self) -> None:
        return None


def hook(n: int, endpoint: str = "7") -> NewDelivery:
    return NewDelivery("webhook", endpoint, {"n": n}, ordering_key=f"webhook:{endpoint}:s{n}")


def count_claims(db: Database) -> list[str]:
    claims: list[str] = []

    def seen(conn: Any, cursor: Any, sql: str, params: Any, ctx: Any, many: bool) -> None:
        if "candidates" in sql:
            claims.append(sql)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    return claims


async def until_busy(worker: Worker, n: int) -> None:
    """Let the send tasks run until ``n`` are in flight."""
    for _ in range(100):
        if worker.channels["webhook"].busy == n:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{worker.channels['webhook'].busy} in flight, not {n}")


async def test_a_backlog_for_a_full_endpoint_costs_no_claims_until_its_room_frees(
    db: Database, queue: DeliveryQueue, clock: FakeClock
) -> None:
    await queue.enqueue_many(hook(n) for n in range(30))
    endpoint = SlowEndpoint()
    worker = Worker(queue, {"webhook": ChannelPlan(endpoint, per_recipient=LIMITS)})  # type: ignore[arg-type]
    claims = count_claims(db)

    assert await worker.dispatch_once() == 2  # its room
    await until_busy(worker, 2)
    assert await worker.dispatch_once() == 0  # one claim leaving it out finds nothing
    assert len(claims) == 2
    for _ in range(5):
        queue.wakeup.work_arrived()  # any process's enqueue (PostgreSQL's NOTIFY)
        clock.advance(0.1)
        assert await worker.dispatch_once() == 0
    assert len(claims) == 2  # none while its room is full

    endpoint.answer_one()  # a slot frees: the endpoint is ready again
    await until_busy(worker, 1)
    assert await worker.dispatch_once() == 1
    assert len(claims) == 3

    await queue.enqueue_many([hook(0, endpoint="8")])  # work queued for the channel
    assert await worker.dispatch_once() == 1  # the other endpoint's, at once
    assert len(claims) == 4

    endpoint.answer_all()
    summary = await worker.drain()
    assert summary.dead == summary.retried == 0
    assert sorted(endpoint.sent) == list(range(1, 32))  # each of the 31 sent once
