"""Intake: notifications accepted in groups, each answer released after its group commits.

At a market event thousands of alerts arrive within a second, one request each. Written
one transaction per request, the commit is the bottleneck (on SQLite one writer at a
time, each commit a lock hand-off), and each request also paid a recipient query and a
second transaction for its delivery. Here requests hand their notifications to one
writer task, which takes everything waiting, reads the recipients with one query,
renders each message once, and writes the notifications and their first deliveries in
one transaction: a multi-row INSERT per table, ids reserved first so that each row can
point at the other. Every request waits for that commit, so an answer still means
stored. Requests arriving while a group is written form the next one: the groups grow
with the load, and a lone request waits for nothing but its own commit.

A group of ``accept_all`` (one API request) is all or nothing; items of ``accept`` (the
batch endpoint) are refused one by one and never hold back the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.clock import Clock
from herald.db import Database, is_outage
from herald.db.bulk import BulkInsert, Col, Kind, reserve_ids
from herald.db.tables import notifications
from herald.events import Event, record
from herald.messaging import notification_events
from herald.messaging.notifications import (
    Renderer,
    channel_order,
    delivery_for,
    first_usable,
    for_notification,
    no_channel_error,
)
from herald.messaging.recipients import Recipient, Recipients
from herald.messaging.templates import ChannelNotSupported, TemplateError, TemplateNotFound
from herald.metrics import Metrics
from herald.queue import DeliveryQueue, Lane, NewDelivery

log = structlog.get_logger("herald.messaging")

# Items written in one transaction at most; a larger backlog becomes several groups.
MAX_GROUP_ITEMS = 5_000
# Groups in progress at once on PostgreSQL: while one writer waits for its commit,
# another reads the next group's recipients and renders its messages. SQLite has one
# writer: its commits take turns anyway, and smaller groups only cost more of them.
POSTGRES_WRITERS = 3

_NOTIFICATIONS = BulkInsert(
    "notifications",
    (
        Col("id", "bigint"),
        Col("recipient_id", "bigint"),
        Col("template", "text"),
        Col("variables", "text", Kind.JSON),
        Col("channels", "text", Kind.JSON),
        Col("lane", "smallint"),
        Col("status", "text"),
        Col("channel", "text"),
        Col("delivery_id", "bigint"),
        Col("error", "text"),
        Col("idempotency_key", "text"),
        Col("created_at", "timestamptz", Kind.TIME),
        Col("updated_at", "timestamptz", Kind.TIME),
    ),
    tail="ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
)


@dataclass(frozen=True, slots=True)
class NewNotification:
    """One template to one recipient (by the platform's id), as the API received it."""

    recipient: str
    template: str
    variables: Mapping[str, Any]
    channels: tuple[str, ...] = ()
    lane: Lane = Lane.TRANSACTIONAL
    idempotency_key: str | None = None


class UnknownRecipient(Exception):
    def __init__(self, external_id: str) -> None:
        super().__init__(f"unknown recipient {external_id!r}")
        self.external_id = external_id


class UnknownRecipients(Exception):
    """``accept_all``: these recipients do not exist, so nothing was stored."""

    def __init__(self, external_ids: Sequence[str]) -> None:
        super().__init__(f"unknown recipients: {', '.join(external_ids)}")
        self.external_ids = list(external_ids)


@dataclass(frozen=True, slots=True)
class Accepted:
    id: int
    created: bool  # False: the idempotency key named an earlier notification


@dataclass(frozen=True, slots=True)
class Refused:
    """Nothing was stored for this item; ``field`` is the item's field at fault."""

    field: str  # recipient, template or vars
    error: UnknownRecipient | TemplateError


Result = Accepted | Refused


@dataclass(slots=True)
class _Group:
    items: Sequence[NewNotification]
    atomic: bool
    done: asyncio.Future[list[Result]]


@dataclass(slots=True)
class _Prepared:
    """An item ready to write: its notification row, and its first delivery if any."""

    index: int  # position among the group's items
    item: NewNotification
    recipient: Recipient
    order: tuple[str, ...]
    delivery: NewDelivery | None
    results: list[Result] = field(default_factory=list)


class Intake:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        queue: DeliveryQueue,
        recipients: Recipients,
        renderer: Renderer,
        metrics: Metrics,
        *,
        writers: int | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._queue = queue
        self._recipients = recipients
        self._renderer = renderer
        self._metrics = metrics
        self._waiting: list[_Group] = []
        self._writers = writers or (POSTGRES_WRITERS if db.dialect == "postgresql" else 1)
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    async def accept(self, items: Sequence[NewNotification]) -> list[Result]:
        """Store each item that can be stored; one result per item, in order."""
        return await self._submit(items, atomic=False)

    async def accept_all(self, items: Sequence[NewNotification]) -> list[Accepted]:
        """Store every item or none: raises ``UnknownRecipients`` (all of them named) or
        the first item's ``TemplateError``."""
        results = await self._submit(items, atomic=True)
        refused = [r for r in results if isinstance(r, Refused)]
        unknown = [r.error.external_id for r in refused if isinstance(r.error, UnknownRecipient)]
        if unknown:
            raise UnknownRecipients(unknown)
        if refused:
            raise refused[0].error
        return [r for r in results if isinstance(r, Accepted)]

    async def _submit(self, items: Sequence[NewNotification], atomic: bool) -> list[Result]:
        if not items:
            return []
        group = _Group(items, atomic, asyncio.get_running_loop().create_future())
        self._waiting.append(group)
        self._wake.set()
        if not self._tasks or any(t.done() for t in self._tasks):
            self._start()
        return await asyncio.shield(group.done)

    def _start(self) -> None:
        self._tasks = [t for t in self._tasks if not t.done()]
        for n in range(len(self._tasks), self._writers):
            self._tasks.append(asyncio.create_task(self._writer(), name=f"herald-intake-{n}"))

    async def close(self) -> None:
        """Write the groups already handed in, then stop the writers."""
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        self._closing = True
        self._wake.set()
        try:
            await asyncio.gather(*tasks)
        finally:
            self._closing = False

    async def _writer(self) -> None:
        while True:
            while not self._waiting:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
            await self._write_answering(self._take())

    async def _write_answering(self, groups: list[_Group]) -> None:
        """Write ``groups`` and answer each; an error reaches every request it concerns.

        When the database refuses the data (not an outage), each group is written on its
        own again, so one request's bad value never fails the others that shared its
        transaction.
        """
        try:
            results = await self._write(groups)
        except Exception as exc:
            if len(groups) > 1 and not is_outage(exc):
                for group in groups:
                    await self._write_answering([group])
                return
            if not is_outage(exc):
                log.error("intake_write_failed", error=str(exc).splitlines()[0])
            for g in groups:
                if not g.done.done():
                    g.done.set_exception(exc)
            return
        for g, r in zip(groups, results, strict=True):
            if not g.done.done():
                g.done.set_result(r)

    def _take(self) -> list[_Group]:
        taken: list[_Group] = []
        count = 0
        while self._waiting and (
            not taken or count + len(self._waiting[0].items) <= MAX_GROUP_ITEMS
        ):
            group = self._waiting.pop(0)
            taken.append(group)
            count += len(group.items)
        return taken

    async def _write(self, groups: Sequence[_Group]) -> list[list[Result]]:
        found = await self._recipients.get_many([i.recipient for g in groups for i in g.items])
        results: list[list[Result]] = []
        ready: list[_Prepared] = []
        for group in groups:
            prepared, out = self._prepare(group, found)
            results.append(out)
            if not any(isinstance(r, Refused) for r in out) or not group.atomic:
                ready.extend(prepared)
        if ready:
            await self._store(ready)
        return results

    def _prepare(
        self, group: _Group, found: Mapping[str, Recipient]
    ) -> tuple[list[_Prepared], list[Result]]:
        """Render each item for its first usable channel; results hold the refusals,
        and each prepared item's result slot is filled by ``_store``."""
        out: list[Result] = []
        prepared: list[_Prepared] = []
        for index, item in enumerate(group.items):
            recipient = found.get(item.recipient)
            if recipient is None:
                out.append(Refused("recipient", UnknownRecipient(item.recipient)))
                continue
            order = channel_order(item.channels, recipient)
            first = first_usable(recipient, order, after=None)
            delivery = None
            if first is not None:
                try:
                    delivery = delivery_for(
                        self._renderer,
                        recipient,
                        first,
                        item.template,
                        item.variables,
                        lane=item.lane,
                    )
                except TemplateError as exc:
                    out.append(Refused(_field_of(exc), exc))
                    continue
            out.append(Accepted(0, created=False))  # a placeholder, filled in by _store
            prepared.append(_Prepared(index, item, recipient, order, delivery, out))
        return prepared, out

    async def _store(self, ready: list[_Prepared]) -> None:
        """One transaction: the notifications, then the first deliveries of the new ones."""
        now = self._clock.now()
        first_of: dict[str, _Prepared] = {}  # idempotency key -> the item that holds it
        unique: list[_Prepared] = []
        repeats: list[tuple[_Prepared, _Prepared]] = []
        for p in ready:
            key = p.item.idempotency_key
            if key is not None and key in first_of:
                repeats.append((p, first_of[key]))
                continue
            if key is not None:
                first_of[key] = p
            unique.append(p)
        async with self._db.write() as conn:
            with_delivery = sum(1 for p in unique if p.delivery is not None)
            reserved = await reserve_ids(
                conn, {"notifications": len(unique), "deliveries": with_delivery}
            )
            ids, delivery_ids = reserved["notifications"], iter(reserved["deliveries"])
            rows, planned = [], {}
            for p, id_ in zip(unique, ids, strict=True):
                delivery_id = next(delivery_ids) if p.delivery is not None else None
                planned[id_] = (p, delivery_id)
                rows.append(_notification_row(id_, p, delivery_id, now))
            created = {int(r.id) for r in await _NOTIFICATIONS.run(conn, rows)}
            existing = await self._existing(conn, unique, created, ids)
            new_deliveries: list[NewDelivery] = []
            new_ids: list[int] = []
            for id_ in ids:
                p, delivery_id = planned[id_]
                if id_ in created and p.delivery is not None and delivery_id is not None:
                    new_deliveries.append(for_notification(p.delivery, id_))
                    new_ids.append(delivery_id)
            await self._queue.enqueue_in(conn, new_deliveries, ids=new_ids)
            await record(conn, _failed_events(planned, created, now))
        if new_deliveries:
            self._queue.wakeup.work_arrived({d.channel for d in new_deliveries})
        for d in new_deliveries:
            self._metrics.messages_enqueued.labels(d.channel, d.lane.label).inc()
        for id_ in ids:
            p, _ = planned[id_]
            final = Accepted(id_, True) if id_ in created else existing[id_]
            p.results[p.index] = final
        for p, holder in repeats:
            got = holder.results[holder.index]
            assert isinstance(got, Accepted)
            p.results[p.index] = Accepted(got.id, created=False)

    async def _existing(
        self, conn: AsyncConnection, unique: list[_Prepared], created: set[int], ids: list[int]
    ) -> dict[int, Accepted]:
        """For items whose idempotency key was taken already: the earlier notification."""
        taken = {
            p.item.idempotency_key: id_
            for p, id_ in zip(unique, ids, strict=True)
            if id_ not in created and p.item.idempotency_key is not None
        }
        if not taken:
            return {}
        rows = (
            await conn.execute(
                select(notifications.c.id, notifications.c.idempotency_key).where(
                    notifications.c.idempotency_key.in_(list(taken))
                )
            )
        ).all()
        return {taken[r.idempotency_key]: Accepted(int(r.id), created=False) for r in rows}


def _failed_events(
    planned: Mapping[int, tuple[_Prepared, int | None]], created: set[int], now: datetime
) -> list[Event]:
    """notification.failed for the new notifications that no channel could take."""
    return [
        notification_events.failed_at_intake(
            id_, p.recipient.external_id, p.item.template, p.order, now
        )
        for id_, (p, _) in planned.items()
        if id_ in created and p.delivery is None
    ]


def _field_of(exc: TemplateError) -> str:
    """The item's field at fault: the template when it is missing or lacks the chosen
    channel, else the variables (missing, invalid, or making the message too long)."""
    return "template" if isinstance(exc, TemplateNotFound | ChannelNotSupported) else "vars"


def _notification_row(
    id_: int, p: _Prepared, delivery_id: int | None, now: datetime
) -> tuple[Any, ...]:
    item = p.item
    return (
        id_,
        p.recipient.id,
        item.template,
        dict(item.variables),
        list(p.order),
        int(item.lane),
        "pending" if p.delivery is not None else "failed",
        p.delivery.channel if p.delivery is not None else None,
        delivery_id,
        None if p.delivery is not None else no_channel_error(p.order),
        item.idempotency_key,
        now,
        now,
    )
