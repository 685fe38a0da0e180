"""The durable priority delivery queue. It knows no channel: senders plug in above it."""

from __future__ import annotations

from herald.queue.models import Delivery, DeliveryFilter, Lane, NewDelivery, QueueStats, State
from herald.queue.outcomes import Outcome, Permanent, RetryAfter, Sent, Transient
from herald.queue.policy import RetryPolicy
from herald.queue.room import RecipientRoom
from herald.queue.store import DeliveryQueue, Enqueued, OutcomesHooks, Result

__all__ = [
    "Delivery",
    "DeliveryFilter",
    "DeliveryQueue",
    "Enqueued",
    "Lane",
    "NewDelivery",
    "Outcome",
    "OutcomesHooks",
    "Permanent",
    "QueueStats",
    "RecipientRoom",
    "Result",
    "RetryAfter",
    "RetryPolicy",
    "Sent",
    "State",
    "Transient",
]
