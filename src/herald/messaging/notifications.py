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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import deliveries, notifications
from herald.messaging.recipients import Recipient, Recipients
from herald.metrics import Metrics
from herald.queue import DeliveryQueue, Lane, NewDelivery, State

# The platform's order when neither the request nor the recipient says otherwise.
DEFAULT_ORDER = ("push", "email", "telegram")
# A pending notification with no delivery this long after creation was interrupted.
STALLED_AFTER = timedelta(seconds=30)
log = structlog.get_logger("herald.messaging")


class Renderer(Protocol):
    """What notifications need from the templates package."""

    def render_payload(
        self, template: str, channel: str, variables: dict[str, Any], locale: str | None
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class NotificationRequest:
    recipient: Recipient
    template: str
    variables: dict[str, Any]
    channels: tuple[str, ...] = ()
    lane: Lane = Lane.TRANSACTIONAL
    idempotency_key: str | None = None
    campaign: str | None = None


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
    if channel != "push":
        return rendered
    subscription = recipient.push_subscriptions[0].as_browser_json()
    return {"subscription": subscription, **rendered}


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

    async def notify(self, request: NotificationRequest) -> tuple[int, bool]:
        """Create the notification and queue its first delivery; (id, created).

        Rendering errors (missing variables, a message too long) surface here, before
        anything is stored, so the API can answer 400 naming them.
        """
        order = channel_order(request.channels, request.recipient)
        first = self._first_usable(request.recipient, order, after=None)
        payload = (
            self.payload_for(request.recipient, first, request.template, request.variables)
            if first
            else None
        )
        now = self._clock.now()
        async with self._db.write() as conn:
            try:
                notification_id = await conn.scalar(
                    insert(notifications)
                    .values(
                        recipient_id=request.recipient.id,
                        template=request.template,
                        variables=request.variables,
                        channels=list(order),
                        lane=int(request.lane),
                        campaign=request.campaign,
                        status="pending" if first else "failed",
                        error=None if first else _no_channel_error(order),
                        idempotency_key=request.idempotency_key,
                        created_at=now,
                        updated_at=now,
                    )
                    .returning(notifications.c.id)
                )
            except IntegrityError:
                existing = None
            else:
                existing = int(notification_id) if notification_id is not None else None
        if existing is None:  # the idempotency key was used before
            async with self._db.read() as conn:
                found = await conn.scalar(
                    select(notifications.c.id).where(
                        notifications.c.idempotency_key == request.idempotency_key
                    )
                )
            assert found is not None
            return int(found), False
        if first and payload is not None:
            await self._enqueue(existing, request.recipient, first, payload, request)
        return existing, True

    def _first_usable(
        self, recipient: Recipient, order: Sequence[str], after: str | None
    ) -> str | None:
        start = order.index(after) + 1 if after in order else 0
        return next((c for c in order[start:] if recipient.address(c)), None)

    def payload_for(
        self, recipient: Recipient, channel: str, template: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        return channel_payload(self._renderer, recipient, channel, template, variables)

    async def _enqueue(
        self,
        notification_id: int,
        recipient: Recipient,
        channel: str,
        payload: dict[str, Any],
        request: NotificationRequest | None = None,
        lane: Lane | None = None,
        campaign: str | None = None,
    ) -> None:
        address = recipient.address(channel)
        assert address is not None
        lane_of = request.lane if request else (lane or Lane.TRANSACTIONAL)
        enqueued = await self._queue.enqueue(
            NewDelivery(
                channel=channel,
                recipient=address,
                payload=payload,
                lane=lane_of,
                campaign=request.campaign if request else campaign,
                idempotency_key=f"notification:{notification_id}:{channel}",
                notification_id=notification_id,
            )
        )
        if enqueued.created:
            self._metrics.messages_enqueued.labels(channel, lane_of.label).inc()
        async with self._db.write() as conn:
            await conn.execute(
                update(notifications)
                .where(notifications.c.id == notification_id)
                .values(channel=channel, delivery_id=enqueued.id, updated_at=self._clock.now())
            )

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
            .where(n.c.status == "pending", d.c.state.in_([State.SENT, State.DEAD]))
        )
        if notification_ids is not None:
            ids = list(set(notification_ids))
            if not ids:
                return 0
            stmt = stmt.where(n.c.id.in_(ids))
        async with self._db.read() as conn:
            rows = (await conn.execute(stmt.limit(1000))).all()
            # Created, but the process died before its first delivery was queued.
            stalled_before = self._clock.now() - STALLED_AFTER
            stalled = (
                (
                    await conn.execute(
                        select(n)
                        .where(
                            n.c.status == "pending",
                            n.c.delivery_id.is_(None),
                            n.c.created_at < stalled_before,
                        )
                        .limit(1000)
                    )
                ).all()
                if notification_ids is None
                else []
            )
        for row in rows:
            if row.delivery_state == State.SENT:
                await self._finish(row, "delivered", channel=row.channel, error=None)
            else:
                await self._dispatch(row, after=row.channel, failed=row.delivery_error)
        for row in stalled:
            await self._dispatch(row, after=None, failed=None)
        return len(rows) + len(stalled)

    async def _finish(self, row: Any, status: str, channel: str | None, error: str | None) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                update(notifications)
                .where(
                    notifications.c.id == row.id,
                    notifications.c.status == "pending",
                    notifications.c.delivery_id == row.delivery_id,
                )
                .values(status=status, channel=channel, error=error, updated_at=self._clock.now())
            )

    async def _dispatch(self, row: Any, after: str | None, failed: str | None) -> None:
        """Queue the next usable channel after ``after`` (the first if None), or fail."""
        recipient = await self._recipients.get_by_id(row.recipient_id)
        order = tuple(row.channels)
        nxt = self._first_usable(recipient, order, after=after) if recipient else None
        if recipient is None or nxt is None:
            why = f"{after}: {failed or 'failed'}" if after else _no_channel_error(order)
            await self._finish(row, "failed", channel=None, error=f"no channel delivered ({why})")
            return
        try:
            payload = self.payload_for(recipient, nxt, row.template, dict(row.variables))
        except Exception as exc:
            await self._finish(row, "failed", channel=None, error=f"{nxt}: {exc}")
            return
        if after:
            log.info("notification_fallback", notification_id=row.id, failed=after, next=nxt)
        await self._enqueue(
            row.id, recipient, nxt, payload, lane=Lane(row.lane), campaign=row.campaign
        )

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


def _no_channel_error(order: Sequence[str]) -> str:
    tried = ", ".join(order) if order else "none allowed"
    return f"no usable address on any channel ({tried})"


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
