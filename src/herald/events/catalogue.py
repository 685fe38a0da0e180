"""The event types: one vocabulary for the producers, the webhooks and the docs."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    NOTIFICATION_DELIVERED = "notification.delivered"
    NOTIFICATION_FAILED = "notification.failed"
    DELIVERY_SENT = "delivery.sent"
    DELIVERY_DEAD_LETTERED = "delivery.dead_lettered"
    CAMPAIGN_FINISHED = "campaign.finished"
    CLICK_RECORDED = "click.recorded"
    SCHEDULE_RUN_FINISHED = "schedule.run.finished"
    CHAT_DEACTIVATED = "chat.deactivated"
    CHAT_MIGRATED = "chat.migrated"
    RECIPIENT_UNREACHABLE = "recipient.unreachable"
    PUSH_SUBSCRIPTION_EXPIRED = "push.subscription_expired"
    WEBHOOK_TEST = "webhook.test"
    WEBHOOK_ENDPOINT_DISABLED = "webhook.endpoint_disabled"
