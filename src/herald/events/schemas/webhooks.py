"""webhook.test and webhook.endpoint_disabled: about the webhook endpoints themselves."""

from __future__ import annotations

from datetime import datetime

from herald.events.catalogue import EventType
from herald.events.schemas.base import EventData, examples


class WebhookTest(EventData):
    """Sent on request to one endpoint, to check that it receives and verifies."""

    TYPE = EventType.WEBHOOK_TEST
    WHEN = "someone asks for a test: POST /api/v1/webhooks/{id}/test, the CLI or the dashboard"
    SUBJECT = "webhook:<endpoint_id>"
    model_config = examples({"endpoint_id": 3, "sent_at": "2026-12-07T08:10:00Z"})

    endpoint_id: int
    sent_at: datetime

    def subject(self) -> str:
        return f"webhook:{self.endpoint_id}"


class WebhookEndpointDisabled(EventData):
    """herald stopped sending to an endpoint: it answered 410 Gone, or every attempt to
    reach it failed for five days. Sent to the other endpoints that subscribe to it."""

    TYPE = EventType.WEBHOOK_ENDPOINT_DISABLED
    WHEN = "an endpoint answered 410, or its attempts all failed for 5 days (not an operator)"
    SUBJECT = "webhook:<endpoint_id>"
    model_config = examples(
        {
            "endpoint_id": 3,
            "url": "https://crm.example.com/hooks/herald",
            "reason": "every attempt failed for 5 days",
            "disabled_at": "2026-12-07T08:10:00Z",
        }
    )

    endpoint_id: int
    url: str
    reason: str
    disabled_at: datetime

    def subject(self) -> str:
        return f"webhook:{self.endpoint_id}"
