"""What the platform hears about notifications: delivered (after which fallbacks) or failed
(every channel's error), built inside the transaction that decides it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.db.tables import deliveries, recipients
from herald.events import Event, EventType, iso, new_event_ids
from herald.events.schemas import ChannelError, NotificationFailed
from herald.queue import State

NO_ADDRESS = "no usable address"
NO_RECIPIENT = "the recipient no longer exists"


async def delivered(conn: AsyncConnection, rows: Sequence[Any], now: datetime) -> list[Event]:
    """Events for notifications just marked delivered (rows: id, recipient_id, template,
    channel, channels, delivery_id). Two reads per batch at most: the recipients' ids,
    and the failed deliveries of those not delivered by their first channel."""
    if not rows:
        return []
    external = await external_ids(conn, {int(r.recipient_id) for r in rows})
    fell_back = [int(r.id) for r in rows if list(r.channels)[:1] != [r.channel]]
    failed = await dead_deliveries(conn, fell_back)
    at = iso(now)
    return [
        delivered_event(
            r, external.get(int(r.recipient_id)), failed.get(int(r.id), {}), now, at, event_id
        )
        for r, event_id in zip(rows, new_event_ids(len(rows)), strict=True)
    ]


def delivered_event(
    row: Any,
    recipient: str | None,
    fallbacks: Mapping[str, str],
    now: datetime,
    at: str,
    event_id: str,
) -> Event:
    """notification.delivered as a plain dict: every alert delivered records one, so not
    through ``NotificationDelivered`` (tests/unit/events/test_notification_data.py holds
    the two together); ``at`` is ``now`` formatted, once per batch."""
    data = {
        "notification_id": row.id,
        "recipient": recipient,
        "template": row.template,
        "channel": row.channel,
        "delivery_id": row.delivery_id,
        "fallbacks": [{"channel": c, "error": e} for c, e in fallbacks.items()],
        "delivered_at": at,
    }
    subject = f"notification:{row.id}"
    return Event(EventType.NOTIFICATION_DELIVERED, subject, data, now, event_id)


async def failed(
    conn: AsyncConnection,
    row: Any,
    recipient: str | None,
    now: datetime,
    errors: Mapping[str, str] | None = None,
) -> Event:
    """The event of notification ``row`` failing: for each channel of its order, its
    delivery's error, else ``errors``' entry (a render that failed), else why none was
    queued there."""
    dead = (await dead_deliveries(conn, [int(row.id)])).get(int(row.id), {})
    why = {**(errors or {}), **dead}  # a dead delivery's own error comes first
    default = NO_ADDRESS if recipient is not None else NO_RECIPIENT
    order = list(row.channels) + [c for c in why if c not in row.channels]
    return NotificationFailed(
        notification_id=row.id,
        recipient=recipient,
        template=row.template,
        errors=[ChannelError(channel=c, error=why.get(c, default)) for c in order],
        failed_at=now,
    ).event(now)


def failed_at_intake(
    notification_id: int, recipient: str, template: str, order: Sequence[str], now: datetime
) -> Event:
    """The event of a notification accepted with no usable channel at all."""
    return NotificationFailed(
        notification_id=notification_id,
        recipient=recipient,
        template=template,
        errors=[ChannelError(channel=c, error=NO_ADDRESS) for c in order],
        failed_at=now,
    ).event(now)


async def external_ids(conn: AsyncConnection, ids: Collection[int]) -> dict[int, str]:
    found = await conn.execute(
        select(recipients.c.id, recipients.c.external_id).where(recipients.c.id.in_(ids))
    )
    return {int(r.id): r.external_id for r in found}


async def dead_deliveries(
    conn: AsyncConnection, notification_ids: Collection[int]
) -> dict[int, dict[str, str]]:
    """Each notification's dead-lettered deliveries: {channel: error}, in the order tried."""
    if not notification_ids:
        return {}
    d = deliveries
    rows = await conn.execute(
        select(d.c.notification_id, d.c.channel, d.c.last_error)
        .where(d.c.notification_id.in_(list(notification_ids)), d.c.state == State.DEAD)
        .order_by(d.c.id)
    )
    out: defaultdict[int, dict[str, str]] = defaultdict(dict)
    for r in rows:
        out[int(r.notification_id)][r.channel] = r.last_error or "dead"
    return out
