"""delivery.sent and delivery.dead_lettered, recorded with the outcomes themselves.

The queue's ``OutcomesHook``: the runtime hands it to the queue, which calls it inside
the transaction that records a batch of outcomes (and a rescue that dead-letters), so
each event exists if and only if its outcome was committed, in one INSERT per batch.
Here, above both the queue and the events, because neither may import the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from herald.channel import WEBHOOK_CHANNEL, Channel
from herald.events import Event, record
from herald.events.schemas import DeliveryDeadLettered, DeliverySent
from herald.queue import Result, State
from herald.queue.policy import Decision

# Only deliveries to people make delivery events: a webhook delivery is itself the
# sending of an event, and an event about it would feed itself.
_KNOWN = frozenset(str(c) for c in Channel) - {WEBHOOK_CHANNEL}


class DeliveryEvents:
    async def __call__(
        self,
        conn: AsyncConnection,
        outcomes: Sequence[tuple[Result, Decision]],
        now: datetime,
    ) -> None:
        await record(conn, [e for r, d in outcomes if (e := delivery_event(r, d, now))])


def delivery_event(result: Result, decision: Decision, now: datetime) -> Event | None:
    """The event of one recorded outcome: sent, dead, or none (a retry, a silent channel)."""
    d = result.delivery
    if d.channel not in _KNOWN or decision.state not in (State.SENT, State.DEAD):
        return None
    common = {
        "delivery_id": d.id,
        "channel": d.channel,
        "recipient": d.recipient,
        "lane": d.lane.label,
        "notification_id": d.notification_id,
        "campaign": d.campaign,
        "attempts": d.attempts,
    }
    if decision.state is State.SENT:
        sent = DeliverySent(**common, provider_message_id=decision.provider_message_id, sent_at=now)
        return sent.event(now)
    reason = getattr(result.outcome, "reason", None) or "dead"
    error = decision.error or reason
    return DeliveryDeadLettered(**common, reason=reason, error=error, dead_at=now).event(now)
