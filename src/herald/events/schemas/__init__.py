"""Each event type's ``data``, as a pydantic model: the catalogue as schemas.

Producers build an event's data through its model (``DeliverySent(...).event(at)``), so
what herald records, and the webhooks send, is what docs/webhooks.md and the OpenAPI
document describe: both are generated from these classes (the events of every send and
delivered notification are built as plain dicts on the hot path, held to these models
by tests). Times are ISO 8601 strings in UTC; ids are herald's; a recipient is the
platform's ``external_id``.

One module per subject (deliveries, notifications, campaigns, clicks, posts, chats,
recipients, webhooks), ``base`` for what they share; ``CATALOGUE`` lists them in the
order docs/webhooks.md shows them.
"""

from __future__ import annotations

from herald.events.catalogue import EventType
from herald.events.schemas.base import EventData
from herald.events.schemas.campaigns import CampaignCounts, CampaignFinished
from herald.events.schemas.chats import ChatDeactivated, ChatMigrated
from herald.events.schemas.clicks import ClickRecorded
from herald.events.schemas.deliveries import DeliveryData, DeliveryDeadLettered, DeliverySent, Lane
from herald.events.schemas.notifications import (
    ChannelError,
    NotificationData,
    NotificationDelivered,
    NotificationFailed,
)
from herald.events.schemas.posts import ChatPost, ScheduleRunFinished
from herald.events.schemas.recipients import PushSubscriptionExpired, RecipientUnreachable
from herald.events.schemas.webhooks import WebhookEndpointDisabled, WebhookTest

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

__all__ = [
    "CATALOGUE",
    "CampaignCounts",
    "CampaignFinished",
    "ChannelError",
    "ChatDeactivated",
    "ChatMigrated",
    "ChatPost",
    "ClickRecorded",
    "DeliveryData",
    "DeliveryDeadLettered",
    "DeliverySent",
    "EventData",
    "Lane",
    "NotificationData",
    "NotificationDelivered",
    "NotificationFailed",
    "PushSubscriptionExpired",
    "RecipientUnreachable",
    "ScheduleRunFinished",
    "WebhookEndpointDisabled",
    "WebhookTest",
]
