"""delivery.sent and delivery.dead_lettered: one message on one channel to one address."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from herald.channel import Channel
from herald.events.catalogue import EventType
from herald.events.schemas.base import EventData, examples

Lane = Literal["transactional", "campaign"]


class DeliveryData(EventData):
    """What every delivery event says about its delivery."""

    SUBJECT = "delivery:<delivery_id>"

    delivery_id: int
    channel: Channel
    recipient: str = Field(description="The address: chat id, email address or push endpoint.")
    lane: Lane
    notification_id: int | None = Field(description="The notification it is an attempt of.")
    campaign: str | None = Field(
        description="The campaign's id, or ``schedule:...`` for a scheduled post."
    )
    attempts: int = Field(description="Attempts made, this one included.")

    def subject(self) -> str:
        return f"delivery:{self.delivery_id}"


class DeliverySent(DeliveryData):
    """One delivery (a message on one channel to one address) was sent."""

    TYPE = EventType.DELIVERY_SENT
    WHEN = "the channel's provider accepted the message (the outcome is recorded)"
    model_config = examples(
        {
            "delivery_id": 90210,
            "channel": "telegram",
            "recipient": "123456789",
            "lane": "transactional",
            "notification_id": 4711,
            "campaign": None,
            "attempts": 1,
            "provider_message_id": "5512",
            "sent_at": "2026-12-07T08:00:01.250000Z",
        }
    )

    provider_message_id: str | None
    sent_at: datetime


class DeliveryDeadLettered(DeliveryData):
    """A delivery failed for good (a permanent error, or its last attempt); it waits
    in the dead letters until replayed, and a replay may lead to ``delivery.sent``."""

    TYPE = EventType.DELIVERY_DEAD_LETTERED
    WHEN = "a permanent error ends it, its last attempt fails, or its worker is lost then"
    model_config = examples(
        {
            "delivery_id": 90211,
            "channel": "email",
            "recipient": "trader@example.com",
            "lane": "transactional",
            "notification_id": 4712,
            "campaign": None,
            "attempts": 5,
            "reason": "transient",
            "error": "gave up after 5 attempts: SMTP 451 try again later",
            "dead_at": "2026-12-07T08:03:10Z",
        }
    )

    reason: str = Field(
        description="A short code: the channel's reason (blocked, chat_not_found, "
        "subscription_expired...), transient, permanent or lease_expired."
    )
    error: str = Field(description="For people.")
    dead_at: datetime
