"""delivery.sent and delivery.dead_lettered, recorded with the outcomes themselves.

The queue's ``OutcomesHook``: the runtime hands it to the queue, which calls it inside
the transaction that records a batch of outcomes (and a rescue that dead-letters), so
each event exists if and only if its outcome was committed, in one INSERT per batch.
Here, above both the queue and the events, because neither may import the other.

Every send records one of these, so their data is built as plain dicts rather than
through ``DeliverySent`` / ``DeliveryDeadLettered`` (validating a model per outcome was
most of the events' cost, bench/events_record.py): the batch's time formatted once,
its event ids drawn at once. tests/unit/events/test_delivery_data.py holds these
builders to the models, which the catalogue and the OpenAPI document come from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from herald.channel import WEBHOOK_CHANNEL, Channel
from herald.events import Event, EventType, iso, new_event_ids, record
from herald.queue import Lane, Result, State
from herald.queue.policy import Decision

# Only deliveries to people make delivery events: a webhook delivery is itself the
# sending of an event, and an event about it would feed itself.
_KNOWN = frozenset(str(c) for c in Channel) - {WEBHOOK_CHANNEL}
_ENDED = (State.SENT, State.DEAD)
_LANES = {lane: lane.label for lane in Lane}


class DeliveryEvents:
    async def __call__(
        self,
        conn: AsyncConnection,
        outcomes: Sequence[tuple[Result, Decision]],
        now: datetime,
    ) -> None:
        await record(conn, delivery_events(outcomes, now))


def delivery_events(outcomes: Sequence[tuple[Result, Decision]], now: datetime) -> list[Event]:
    """The events of a batch of recorded outcomes: one per delivery sent or dead (none
    for a retry, a webhook delivery)."""
    ended = [(r, d) for r, d in outcomes if d.state in _ENDED and r.delivery.channel in _KNOWN]
    at = iso(now)
    return [
        _event(r, d, now, at, event_id)
        for (r, d), event_id in zip(ended, new_event_ids(len(ended)), strict=True)
    ]


def _event(result: Result, decision: Decision, now: datetime, at: str, event_id: str) -> Event:
    d = result.delivery
    data: dict[str, Any] = {
        "delivery_id": d.id,
        "channel": d.channel,
        "recipient": d.recipient,
        "lane": _LANES[d.lane],
        "notification_id": d.notification_id,
        "campaign": d.campaign,
        "attempts": d.attempts,
    }
    subject = f"delivery:{d.id}"
    if decision.state is State.SENT:
        data["provider_message_id"] = decision.provider_message_id
        data["sent_at"] = at
        return Event(EventType.DELIVERY_SENT, subject, data, now, event_id)
    reason = getattr(result.outcome, "reason", None) or "dead"
    data["reason"] = reason
    data["error"] = decision.error or reason
    data["dead_at"] = at
    return Event(EventType.DELIVERY_DEAD_LETTERED, subject, data, now, event_id)
