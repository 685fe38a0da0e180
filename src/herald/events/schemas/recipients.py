"""recipient.unreachable and push.subscription_expired: an address that stopped working."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from herald.channel import Channel
from herald.events.catalogue import EventType
from herald.events.schemas.base import EventData, examples


class RecipientUnreachable(EventData):
    """Telegram refused a recipient's chat for good; herald sends it nothing on Telegram
    until a new chat id is PUT for the recipient."""

    TYPE = EventType.RECIPIENT_UNREACHABLE
    WHEN = "a Telegram delivery to the recipient ended blocked, kicked or deactivated"
    SUBJECT = "recipient:<recipient>"
    model_config = examples(
        {
            "recipient": "user-43",
            "channel": "telegram",
            "chat_id": "123456790",
            "reason": "blocked",
            "unreachable_at": "2026-12-07T08:00:02Z",
        }
    )

    recipient: str = Field(description="The recipient's external_id.")
    channel: Literal[Channel.TELEGRAM]
    chat_id: str
    reason: str
    unreachable_at: datetime

    def subject(self) -> str:
        return f"recipient:{self.recipient}"


class PushSubscriptionExpired(EventData):
    """A browser's push subscription is gone (the push service answered 404 or 410);
    herald deleted it."""

    TYPE = EventType.PUSH_SUBSCRIPTION_EXPIRED
    WHEN = "a push delivery was refused with 404 or 410"
    SUBJECT = "recipient:<recipient>"
    model_config = examples(
        {"recipient": "user-44", "subscription_id": 17, "expired_at": "2026-12-07T08:00:03Z"}
    )

    recipient: str = Field(description="The recipient's external_id.")
    subscription_id: int
    expired_at: datetime

    def subject(self) -> str:
        return f"recipient:{self.recipient}"
