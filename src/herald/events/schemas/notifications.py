"""notification.delivered and notification.failed: what became of a notification."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from herald.channel import Channel
from herald.events.catalogue import EventType
from herald.events.schemas.base import EventData, examples


class ChannelError(BaseModel):
    """One channel's try that came to nothing, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Channel
    error: str


class NotificationData(EventData):
    """What every notification event says about its notification."""

    SUBJECT = "notification:<notification_id>"

    notification_id: int
    recipient: str | None = Field(
        description="The recipient's external_id (null: the recipient was deleted since)."
    )
    template: str

    def subject(self) -> str:
        return f"notification:{self.notification_id}"


class NotificationDelivered(NotificationData):
    """A notification reached its recipient: the channel that delivered it and the
    channels that failed before it (the fallbacks, in the order tried)."""

    TYPE = EventType.NOTIFICATION_DELIVERED
    WHEN = "a channel's delivery of the notification was sent"
    model_config = examples(
        {
            "notification_id": 4711,
            "recipient": "user-42",
            "template": "price_alert",
            "channel": "telegram",
            "delivery_id": 90210,
            "fallbacks": [{"channel": "push", "error": "push service said 410: gone"}],
            "delivered_at": "2026-12-07T08:00:01.250000Z",
        }
    )

    channel: Channel = Field(description="The channel that delivered it.")
    delivery_id: int
    fallbacks: list[ChannelError] = Field(
        description="The channels whose deliveries failed before this one, in order."
    )
    delivered_at: datetime


class NotificationFailed(NotificationData):
    """No channel could deliver a notification: every channel's error, in order."""

    TYPE = EventType.NOTIFICATION_FAILED
    WHEN = "the last usable channel's delivery was dead-lettered, or none was usable"
    model_config = examples(
        {
            "notification_id": 4712,
            "recipient": "user-43",
            "template": "price_alert",
            "errors": [
                {"channel": "push", "error": "no usable address"},
                {"channel": "telegram", "error": "Forbidden: bot was blocked by the user"},
            ],
            "failed_at": "2026-12-07T08:00:02Z",
        }
    )

    errors: list[ChannelError] = Field(
        description="Each channel of the notification's order with what went wrong there."
    )
    failed_at: datetime
