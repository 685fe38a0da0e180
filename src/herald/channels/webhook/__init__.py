"""The webhook channel: signed events posted to the platform's endpoints."""

from __future__ import annotations

from herald.channels.webhook.errors import WebhookReason
from herald.channels.webhook.sender import WebhookSender

__all__ = ["WebhookReason", "WebhookSender"]
