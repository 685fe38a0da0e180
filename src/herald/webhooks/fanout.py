"""The outbox fanned out: one delivery per event and subscribed endpoint.

The oldest events not yet fanned out are read, a ``webhook`` delivery built for each
enabled endpoint whose patterns match, and one transaction marks the events
``fanned_out_at`` and queues the deliveries of those it marked: an event is queued to
its endpoints exactly once, or not yet. Any
number of processes may run it: on PostgreSQL a transaction-scoped advisory lock lets
one fan out at a time (so events keep the order they were recorded in), on SQLite the
write lock does the same.

A delivery's ordering key is ``webhook:<endpoint>:<subject>``, so one subject's events
reach an endpoint one at a time, in order, while other subjects go in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import ColumnElement, case, null, select, text, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.channel import WEBHOOK_CHANNEL
from herald.clock import Clock
from herald.db import Database
from herald.db.ids import among, bound
from herald.db.tables import events as E
from herald.db.types import sqlite_time
from herald.events import Event, EventType, iso
from herald.events.schemas import WebhookTest
from herald.queue import DeliveryQueue, NewDelivery
from herald.queue.policy import RetryPolicy
from herald.webhooks.store import Endpoint, EndpointStore
from herald.webhooks.subscriptions import matches

log = structlog.get_logger("herald.webhooks")

# The Standard Webhooks (Svix) schedule: at once, then after 5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h and 10 h; the eighth failure is a dead letter (replayable like any other).
RETRY_POLICY = RetryPolicy.fixed(5, 300, 1800, 7200, 18000, 36000, 36000)
BATCH = 500
PRUNE_EVERY = timedelta(minutes=10)
_LOCK_SQL = text("SELECT pg_advisory_xact_lock(hashtext('herald.webhooks.fanout'))")


# What an event says, read (and decoded) only for the types some endpoint hears.
_SAID = (E.c.subject, E.c.occurred_at, E.c.event_id, E.c.data)


def _heard(endpoints: Sequence[Endpoint]) -> list[str]:
    """The event types some enabled endpoint subscribes to."""
    return [str(t) for t in EventType if any(matches(e.events, t) for e in endpoints)]


def _said_of(types: list[str]) -> list[ColumnElement[Any]]:
    """An event's subject, time, id and data, null unless someone hears its type: with
    no subscriber the fan-out marks events without reading (or parsing) what they say."""
    return [
        type_coerce(
            case((E.c.type.in_(types), c), else_=null()) if types else null(), c.type
        ).label(c.name)
        for c in _SAID
    ]


async def _mark(conn: AsyncConnection, ids: list[int], now: datetime) -> set[int]:
    """Marks those of ``ids`` not yet fanned out and returns them, the ids bound as one
    value (``herald.db.ids``)."""
    dialect = conn.dialect.name
    at = now if dialect == "postgresql" else sqlite_time(now)
    sql = (
        f"UPDATE events SET fanned_out_at = {'$1' if dialect == 'postgresql' else '?'} "
        f"WHERE id {among(dialect, 2)} AND fanned_out_at IS NULL RETURNING id"
    )
    rows = (await conn.exec_driver_sql(sql, (at, bound(dialect, ids)))).all()
    return {int(row[0]) for row in rows}


def delivery_for(endpoint: Endpoint, event: Event) -> NewDelivery:
    """The delivery of ``event`` to ``endpoint``; its payload is what the sender signs."""
    payload: dict[str, Any] = {
        "endpoint_id": endpoint.id,
        "event_id": event.id,
        "type": str(event.type),
        "timestamp": iso(event.occurred_at),
        "data": dict(event.data),
    }
    return NewDelivery(
        channel=WEBHOOK_CHANNEL,
        recipient=str(endpoint.id),
        payload=payload,
        ordering_key=f"webhook:{endpoint.id}:{event.subject}",
        idempotency_key=f"webhook:{endpoint.id}:{event.id}",
    )


def deliveries_for(endpoints: Sequence[Endpoint], events: Sequence[Event]) -> list[NewDelivery]:
    return [
        delivery_for(endpoint, event)
        for event in events
        for endpoint in endpoints
        if matches(endpoint.events, event.type)
    ]


class Fanout:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        queue: DeliveryQueue,
        store: EndpointStore,
        *,
        interval: float = 0.5,
        retention: timedelta | None = None,
        batch: int = BATCH,
    ) -> None:
        self.db = db
        self.clock = clock
        self.queue = queue
        self.store = store
        self.interval = interval
        self.retention = retention
        self.batch = batch
        self._pruned_at: datetime | None = None

    async def once(self) -> int:
        """Fan out up to one batch of events; returns how many events were taken.

        The events and endpoints are read, and the deliveries built, before the write
        transaction: on SQLite its lock is the one the alerts' claims and outcomes wait
        for, so it holds two statements and no more. Inside it, the events still not
        fanned out are marked first and only theirs are queued (another process may
        have taken some meanwhile), so each event is queued once."""
        async with self.db.read() as conn:
            endpoints = await self.store.subscribed(conn)
            rows = (
                await conn.execute(
                    select(E.c.id, E.c.type, *_said_of(_heard(endpoints)))
                    .where(E.c.fanned_out_at.is_(None))
                    .order_by(E.c.id)
                    .limit(self.batch)
                )
            ).all()
            if not rows:
                return 0
        built = {
            r.id: deliveries_for(
                endpoints, [Event(EventType(r.type), r.subject, r.data, r.occurred_at, r.event_id)]
            )
            if r.data is not None
            else []
            for r in rows
        }
        async with self.db.write() as conn:
            if self.db.dialect == "postgresql":
                await conn.execute(_LOCK_SQL)
            taken = await _mark(conn, list(built), self.clock.now())
            items = [d for row_id, ds in built.items() if row_id in taken for d in ds]
            await self.queue.enqueue_in(conn, items)
        if items:
            self.queue.wakeup.work_arrived([WEBHOOK_CHANNEL])
        return len(rows)

    async def drain(self) -> int:
        """Fan out everything recorded so far (tests, and each tick of ``run``)."""
        total = 0
        while (taken := await self.once()) > 0:
            total += taken
            if taken < self.batch:
                break
        return total

    async def test(self, endpoint_id: int) -> str:
        """Queue a ``webhook.test`` event to this endpoint alone (not through the outbox:
        no other endpoint hears it); returns its event id."""
        endpoint = await self.store.get(endpoint_id)
        now = self.clock.now()
        event = WebhookTest(endpoint_id=endpoint.id, sent_at=now).event(now)
        async with self.db.write() as conn:
            await self.queue.enqueue_in(conn, [delivery_for(endpoint, event)])
        self.queue.wakeup.work_arrived([WEBHOOK_CHANNEL])
        return event.id

    async def _prune(self) -> None:
        now = self.clock.now()
        if self.retention is None or (self._pruned_at and now - self._pruned_at < PRUNE_EVERY):
            return
        self._pruned_at = now
        await self.store.prune_attempts(self.retention)

    async def run(
        self, stop: asyncio.Event, hold: Callable[[float], tuple[bool, float]] | None = None
    ) -> None:
        """Fan out every ``interval`` until ``stop``; a failure (the database away) is a
        log line and the next tick tries again. ``hold``: the worker beside it says when
        the alerts are bursting (``Worker.holds_background``); the fan-out's reads and
        its write of a delivery per event wait for it, as the webhook channel's claims
        do (the events are already recorded: nothing is lost, they go out later)."""
        while not stop.is_set():
            wait = self.interval
            held, held_for = hold(self.clock.monotonic()) if hold else (False, 0.0)
            if held:
                wait = min(held_for, self.interval)
            else:
                try:
                    await self.drain()
                    await self._prune()
                except Exception as exc:
                    log.warning("webhook_fanout_failed", error=str(exc).splitlines()[0][:200])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
