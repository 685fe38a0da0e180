"""Notifications: one message to one recipient, delivered by the first channel that works.

A notification names an order of channels. Its current delivery sits in the queue;
when that delivery is dead-lettered (or the recipient has no usable address on a
channel), the next channel gets a freshly rendered delivery. The notification row
records which channel delivered it in the end, or that none could.

Progress is driven from the database, not from memory: ``advance`` looks at the
current delivery's state, so the worker's immediate hook and the periodic sweep
are the same idempotent step, and a crash between them loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import structlog
from sqlalchemy import select, update

from herald.channel import Channel
from herald.clock import Clock
from herald.db import Database
from herald.db.tables import deliveries, notifications
from herald.events import record
from herald.messaging import notification_events
from herald.messaging.recipients import Recipient, Recipients
from herald.messaging.templates.models import TemplateAudience
from herald.metrics import Metrics
from herald.preferences import marks
from herald.queue import DeliveryQueue, Lane, NewDelivery, State

# The platform's order when neither the request nor the recipient says otherwise.
DEFAULT_ORDER = (Channel.PUSH, Channel.EMAIL, Channel.TELEGRAM)
log = structlog.get_logger("herald.messaging")


class Renderer(Protocol):
    """What notifications need from the templates package."""

    def render_payload(
        self, template: str, channel: str, variables: dict[str, Any], locale: str | None
    ) -> dict[str, Any]: ...

    def audience(self, template: str) -> TemplateAudience: ...


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    recipient_id: int
    template: str
    channels: tuple[str, ...]
    lane: Lane
    status: str  # pending, delivered, failed
    channel: str | None
    delivery_id: int | None
    error: str | None
    created_at: datetime
    updated_at: datetime


def channel_order(request_channels: Sequence[str], recipient: Recipient) -> tuple[str, ...]:
    """The request's order, else the recipient's preference, else the platform default."""
    order = tuple(request_channels) or recipient.channels or DEFAULT_ORDER
    return tuple(c for c in order if c not in recipient.opted_out)


def channel_payload(
    renderer: Renderer,
    recipient: Recipient,
    channel: str,
    template: str,
    variables: dict[str, Any],
) -> dict[str, Any]:
    """The template rendered for ``recipient`` (its locale) as ``channel``'s sender reads it;
    a push delivery carries the browser subscription it goes to."""
    rendered = renderer.render_payload(template, channel, variables, recipient.locale)
    if channel != Channel.PUSH:
        return rendered
    subscription = recipient.push_subscriptions[0].as_browser_json()
    return {"subscription": subscription, **rendered}


def first_usable(recipient: Recipient, order: Sequence[str], after: str | None) -> str | None:
    """The first channel of ``order`` after ``after`` (from the start if None) on which
    ``recipient`` has a usable address."""
    start = order.index(after) + 1 if after in order else 0
    return next((c for c in order[start:] if recipient.address(c)), None)


def no_channel_error(order: Sequence[str]) -> str:
    tried = ", ".join(order) if order else "none allowed"
    return f"no usable address on any channel ({tried})"


def delivery_for(
    renderer: Renderer,
    recipient: Recipient,
    channel: str,
    template: str,
    variables: Mapping[str, Any],
    lane: Lane,
) -> NewDelivery:
    """``template`` rendered once for ``recipient`` on ``channel``, as a delivery to queue
    (``for_notification`` ties it to its notification)."""
    address = recipient.address(channel)
    assert address is not None, "first_usable picked a channel without an address"
    payload = channel_payload(renderer, recipient, channel, template, dict(variables))
    return NewDelivery(
        channel, address, marked(payload, renderer, recipient, template, lane), lane=lane
    )


def marked(
    payload: dict[str, Any],
    renderer: Renderer,
    recipient: Recipient,
    template: str,
    lane: Lane,
    category: str | None = None,
) -> dict[str, Any]:
    """``payload`` with the audience mark the dispatch gate reads (docs/preferences.md):
    every campaign-lane message carries one, a transactional one only if its template
    is checked. ``category`` (a campaign's) overrides the template's."""
    audience = renderer.audience(template)
    mark = marks.mark(
        recipient.id,
        category or audience.category,
        campaign=lane == Lane.CAMPAIGN,
        required=audience.required,
        checked=audience.checked,
    )
    if mark.gated or lane == Lane.CAMPAIGN:
        payload[marks.KEY] = mark.as_json()
    return payload


def for_notification(delivery: NewDelivery, notification_id: int) -> NewDelivery:
    """The delivery as notification ``notification_id``'s attempt on its channel: one per
    channel at most, whoever queues it and however often."""
    return replace(
        delivery,
        idempotency_key=f"notification:{notification_id}:{delivery.channel}",
        notification_id=notification_id,
    )


class Notifier:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        queue: DeliveryQueue,
        recipients: Recipients,
        renderer: Renderer,
        metrics: Metrics,
    ) -> None:
        self._db = db
        self._clock = clock
        self._queue = queue
        self._recipients = recipients
        self._renderer = renderer
        self._metrics = metrics

    def payload_for(
        self, recipient: Recipient, channel: str, template: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        return channel_payload(self._renderer, recipient, channel, template, variables)

    async def _enqueue(self, notification_id: int, delivery: NewDelivery) -> None:
        """Queue the notification's next delivery and point at it, in one transaction:
        a crash leaves both or neither (and ``advance`` then tries again)."""
        delivery = for_notification(delivery, notification_id)
        async with self._db.write() as conn:
            enqueued = await self._queue.enqueue_one_in(conn, delivery)
            await conn.execute(
                update(notifications)
                .where(notifications.c.id == notification_id)
                .values(
                    channel=delivery.channel,
                    delivery_id=enqueued.id,
                    updated_at=self._clock.now(),
                )
            )
        if enqueued.created:
            self._queue.wakeup.work_arrived([delivery.channel])
            self._metrics.messages_enqueued.labels(delivery.channel, delivery.lane.label).inc()

    async def get(self, notification_id: int) -> Notification | None:
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(notifications).where(notifications.c.id == notification_id)
                )
            ).first()
        return _notification(row) if row else None

    async def advance(self, notification_ids: Iterable[int] | None = None) -> int:
        """Move pending notifications whose current delivery finished; returns how many.

        With no ids, sweeps every pending notification whose delivery is done (the
        periodic catch-up after a crash).
        """
        n, d = notifications, deliveries
        stmt = (
            select(n, d.c.state.label("delivery_state"), d.c.last_error.label("delivery_error"))
            .join(d, d.c.id == n.c.delivery_id)
            .where(
                n.c.status == "pending",
                # A skipped delivery (a checked template the recipient opted out of on
                # that channel) moves on to the next channel like a dead one.
                d.c.state.in_([State.SENT, State.DEAD, State.SKIPPED]),
            )
        )
        if notification_ids is not None:
            ids = list(set(notification_ids))
            if not ids:
                return 0
            stmt = stmt.where(n.c.id.in_(ids))
        async with self._db.read() as conn:
            rows = (await conn.execute(stmt.limit(1000))).all()
        await self.delivered(
            [(r.id, r.delivery_id) for r in rows if r.delivery_state == State.SENT]
        )
        for row in rows:
            if row.delivery_state != State.SENT:
                await self._dispatch(row, after=row.channel, failed=row.delivery_error)
        return len(rows)

    async def delivered(self, pairs: Sequence[tuple[int, int]]) -> None:
        """Each (notification, delivery) pair's delivery was sent: the notification is
        delivered by its channel, all in one statement (the worker reports sends by the
        hundred, and needs no read first). A notification that moved on to another
        delivery meanwhile is left alone."""
        if not pairs:
            return
        n = notifications
        now = self._clock.now()
        async with self._db.write() as conn:
            rows = (
                await conn.execute(
                    update(n)
                    .where(
                        n.c.id.in_([nid for nid, _ in pairs]),
                        n.c.status == "pending",
                        # A delivery belongs to one notification, so matching either
                        # list is matching each pair.
                        n.c.delivery_id.in_([did for _, did in pairs]),
                    )
                    .values(status="delivered", error=None, updated_at=now)
                    .returning(
                        n.c.id,
                        n.c.recipient_id,
                        n.c.template,
                        n.c.channel,
                        n.c.channels,
                        n.c.delivery_id,
                    )
                )
            ).all()
            await record(conn, await notification_events.delivered(conn, rows, now))

    async def _fail(
        self,
        row: Any,
        recipient: Recipient | None,
        error: str,
        errors: dict[str, str] | None = None,
    ) -> None:
        """The notification failed, with its event (``errors``: channels' errors that
        no dead delivery holds), unless it moved on meanwhile."""
        now = self._clock.now()
        async with self._db.write() as conn:
            done = await conn.execute(
                update(notifications)
                .where(
                    notifications.c.id == row.id,
                    notifications.c.status == "pending",
                    notifications.c.delivery_id == row.delivery_id,
                )
                .values(status="failed", channel=None, error=error, updated_at=now)
            )
            if done.rowcount:
                external = recipient.external_id if recipient is not None else None
                event = await notification_events.failed(conn, row, external, now, errors)
                await record(conn, [event])

    async def _dispatch(self, row: Any, after: str | None, failed: str | None) -> None:
        """Queue the next usable channel after ``after`` (the first if None), or fail."""
        recipient = await self._recipients.get_by_id(row.recipient_id)
        order = tuple(row.channels)
        nxt = first_usable(recipient, order, after=after) if recipient else None
        if recipient is None or nxt is None:
            why = f"{after}: {failed or 'failed'}" if after else no_channel_error(order)
            await self._fail(row, recipient, f"no channel delivered ({why})")
            return
        try:
            delivery = delivery_for(
                self._renderer,
                recipient,
                nxt,
                row.template,
                row.variables,
                lane=Lane(row.lane),
            )
        except Exception as exc:
            later = order[order.index(nxt) + 1 :]
            errors = {c: f"not tried: {nxt} could not be rendered" for c in later}
            await self._fail(row, recipient, f"{nxt}: {exc}", {**errors, nxt: str(exc)})
            return
        if after:
            log.info("notification_fallback", notification_id=row.id, failed=after, next=nxt)
        await self._enqueue(row.id, delivery)

    async def deliveries_of(self, notification_id: int) -> list[Any]:
        async with self._db.read() as conn:
            return list(
                (
                    await conn.execute(
                        select(deliveries)
                        .where(deliveries.c.notification_id == notification_id)
                        .order_by(deliveries.c.id)
                    )
                ).all()
            )


def _notification(row: Any) -> Notification:
    return Notification(
        id=int(row.id),
        recipient_id=int(row.recipient_id),
        template=row.template,
        channels=tuple(row.channels),
        lane=Lane(row.lane),
        status=row.status,
        channel=row.channel,
        delivery_id=row.delivery_id,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
