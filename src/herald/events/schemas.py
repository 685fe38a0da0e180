"""Each event type's ``data``, as a pydantic model: the catalogue as schemas.

Producers build an event's data through its model (``DeliverySent(...).event(at)``), so
what herald records, and the webhooks send, is what docs/webhooks.md and the OpenAPI
document describe: both are generated from these classes. Times are ISO 8601 strings
in UTC; ids are herald's; a recipient is the platform's ``external_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from herald.channel import Channel
from herald.events.catalogue import EventType
from herald.events.outbox import Event

Lane = Literal["transactional", "campaign"]


class EventData(BaseModel):
    """The base of every event's data: its type, when it fires, and its subject."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[EventType]
    WHEN: ClassVar[str]  # for the catalogue: when the event fires
    SUBJECT: ClassVar[str]  # for the catalogue: the subject's shape

    def subject(self) -> str:
        """What orders this event against others about the same thing."""
        raise NotImplementedError

    def event(self, occurred_at: datetime) -> Event:
        return Event(self.TYPE, self.subject(), self.model_dump(mode="json"), occurred_at)


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": list(examples)})


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
    model_config = _examples(
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
    model_config = _examples(
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
    model_config = _examples(
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
    model_config = _examples(
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


class CampaignCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sent: int
    dead: int
    cancelled: int


class CampaignFinished(EventData):
    """Every delivery of a campaign has ended (sent, dead or cancelled)."""

    TYPE = EventType.CAMPAIGN_FINISHED
    WHEN = "the campaign's last delivery ended, all of its pages being queued"
    SUBJECT = "campaign:<campaign_id>"
    model_config = _examples(
        {
            "campaign_id": 12,
            "name": "weekly digest",
            "channel": "telegram",
            "status": "finished",
            "queued": 15000,
            "skipped": 37,
            "counts": {"sent": 14990, "dead": 10, "cancelled": 0},
            "finished_at": "2026-12-07T08:09:00Z",
        }
    )

    campaign_id: int
    name: str
    channel: Channel
    status: Literal["finished", "cancelled"] = Field(
        description="cancelled: it was cancelled before all of it was sent."
    )
    queued: int
    skipped: int = Field(description="Recipients without an address (or at their cap).")
    counts: CampaignCounts
    finished_at: datetime

    def subject(self) -> str:
        return f"campaign:{self.campaign_id}"


class ClickRecorded(EventData):
    """Someone pressed a tracked button or opened a tracked link. Hits herald judges
    were no person (link previews, crawlers, prefetches) are stored flagged and make
    no event."""

    TYPE = EventType.CLICK_RECORDED
    WHEN = "the click is stored (clicks are written in batches within about 50 ms)"
    SUBJECT = "promo:<promo_id>, link:<link_id> or click"
    model_config = _examples(
        {
            "source": "callback",
            "promo_id": 7,
            "cta": 0,
            "cta_text": "Open the offer",
            "link_id": None,
            "telegram_user_id": 123456789,
            "username": "trader",
            "recipient": None,
            "chat_id": "-1001234567890",
            "message_id": 5512,
            "clicked_at": "2026-12-07T08:05:00Z",
        }
    )

    source: Literal["callback", "start", "link"] = Field(
        description="callback: an inline button; start: a /start deep link; link: a /r/ link."
    )
    promo_id: int | None = Field(description="The content item (promo or guide).")
    cta: int | None = Field(description="The button's index on the post.")
    cta_text: str | None
    link_id: int | None = Field(description="A link registered through the API.")
    telegram_user_id: int | None
    username: str | None
    recipient: str | None = Field(description="Who a link was sent to (its external_id).")
    chat_id: str | None
    message_id: int | None
    clicked_at: datetime

    def subject(self) -> str:
        if self.promo_id is not None:
            return f"promo:{self.promo_id}"
        return f"link:{self.link_id}" if self.link_id is not None else "click"


class ChatPost(BaseModel):
    """One chat's (or forum topic's) post of a run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chat_id: str
    topic_id: int | None = Field(description="The forum topic, if the post went to one.")
    status: Literal["sent", "failed"]
    message_id: str | None
    error: str | None


class ScheduleRunFinished(EventData):
    """A scheduled post went out to every chat it could: where it was posted, where not."""

    TYPE = EventType.SCHEDULE_RUN_FINISHED
    WHEN = "the last post of a run (one slot of a schedule) was sent or failed"
    SUBJECT = "schedule:<schedule_id>"
    model_config = _examples(
        {
            "run_id": 301,
            "schedule_id": 2,
            "schedule": "promos",
            "trigger": "scheduled",
            "slot_at": "2026-12-07T08:00:00Z",
            "content_id": 7,
            "content_kind": "promo",
            "posted_to": 1,
            "failed": 1,
            "chats": [
                {
                    "chat_id": "-1001234567890",
                    "topic_id": None,
                    "status": "sent",
                    "message_id": "5512",
                    "error": None,
                },
                {
                    "chat_id": "-1009876543210",
                    "topic_id": None,
                    "status": "failed",
                    "message_id": None,
                    "error": "Forbidden: bot was kicked from the supergroup chat",
                },
            ],
            "finished_at": "2026-12-07T08:00:02Z",
        }
    )

    run_id: int
    schedule_id: int
    schedule: str = Field(description="The schedule's name.")
    trigger: Literal["scheduled", "manual", "start"]
    slot_at: datetime | None = Field(description="The slot posted (null: a manual run).")
    content_id: int | None
    content_kind: Literal["guide", "promo"] | None
    posted_to: int
    failed: int
    chats: list[ChatPost]
    finished_at: datetime

    def subject(self) -> str:
        return f"schedule:{self.schedule_id}"


class ChatDeactivated(EventData):
    """A chat gets no more scheduled posts: the bot was removed or blocked, or the chat
    is gone. Re-adding the chat to a schedule makes it active again."""

    TYPE = EventType.CHAT_DEACTIVATED
    WHEN = "a post to the chat was refused for good, or the bot was removed from it"
    SUBJECT = "chat:<chat_id>"
    model_config = _examples(
        {
            "chat_id": "-1009876543210",
            "reason": "kicked",
            "schedule_ids": [1, 2],
            "deactivated_at": "2026-12-07T08:00:02Z",
        }
    )

    chat_id: str
    reason: str = Field(description="Telegram's reason (blocked, kicked, chat_not_found...).")
    schedule_ids: list[int] = Field(description="The schedules the chat was active in.")
    deactivated_at: datetime

    def subject(self) -> str:
        return f"chat:{self.chat_id}"


class ChatMigrated(EventData):
    """A group became a supergroup: its schedules post to the new id from now on."""

    TYPE = EventType.CHAT_MIGRATED
    WHEN = "Telegram answered a post with the group's new id"
    SUBJECT = "chat:<old_chat_id>"
    model_config = _examples(
        {
            "old_chat_id": "-4001234567",
            "new_chat_id": "-1004001234567",
            "schedule_ids": [1],
            "migrated_at": "2026-12-07T08:00:02Z",
        }
    )

    old_chat_id: str
    new_chat_id: str
    schedule_ids: list[int]
    migrated_at: datetime

    def subject(self) -> str:
        return f"chat:{self.old_chat_id}"


class RecipientUnreachable(EventData):
    """Telegram refused a recipient's chat for good; herald sends it nothing on Telegram
    until a new chat id is PUT for the recipient."""

    TYPE = EventType.RECIPIENT_UNREACHABLE
    WHEN = "a Telegram delivery to the recipient ended blocked, kicked or deactivated"
    SUBJECT = "recipient:<recipient>"
    model_config = _examples(
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
    model_config = _examples(
        {"recipient": "user-44", "subscription_id": 17, "expired_at": "2026-12-07T08:00:03Z"}
    )

    recipient: str = Field(description="The recipient's external_id.")
    subscription_id: int
    expired_at: datetime

    def subject(self) -> str:
        return f"recipient:{self.recipient}"


class WebhookTest(EventData):
    """Sent on request to one endpoint, to check that it receives and verifies."""

    TYPE = EventType.WEBHOOK_TEST
    WHEN = "someone asks for a test: POST /api/v1/webhooks/{id}/test, the CLI or the dashboard"
    SUBJECT = "webhook:<endpoint_id>"
    model_config = _examples({"endpoint_id": 3, "sent_at": "2026-12-07T08:10:00Z"})

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
    model_config = _examples(
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


CATALOGUE: dict[EventType, type[EventData]] = {
    model.TYPE: model
    for model in (
        NotificationDelivered,
        NotificationFailed,
        DeliverySent,
        DeliveryDeadLettered,
        CampaignFinished,
        ClickRecorded,
        ScheduleRunFinished,
        ChatDeactivated,
        ChatMigrated,
        RecipientUnreachable,
        PushSubscriptionExpired,
        WebhookTest,
        WebhookEndpointDisabled,
    )
}
