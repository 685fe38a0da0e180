"""Webhooks: endpoints that hear herald's events, signed as Standard Webhooks says.

The store keeps each endpoint (its URL, the event types it subscribes to, its signing
secrets) and its recent attempts; ``fanout`` turns the events outbox into one delivery
per subscribed endpoint on the ``webhook`` channel, whose sender (channels/webhook/)
signs and posts them. Below the channels, so the sender reads endpoints from here.
"""

from __future__ import annotations

from herald.webhooks.store import (
    Attempt,
    Endpoint,
    EndpointNotFound,
    EndpointStore,
    NewEndpoint,
    WebhookRuleError,
)

__all__ = [
    "Attempt",
    "Endpoint",
    "EndpointNotFound",
    "EndpointStore",
    "NewEndpoint",
    "WebhookRuleError",
]
