"""Notifications (template + recipient + channel order) and the owner-only test send."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field

from herald.db.types import MAX_ID
from herald.messaging.notifications import NotificationRequest
from herald.messaging.templates import TemplateError
from herald.queue import Lane, NewDelivery, State
from herald.web.api.errors import template_http_error
from herald.web.deps import Admin, Owner, RuntimeDep

router = APIRouter(tags=["notifications"])

ChannelName = Literal["telegram", "email", "push"]
# How long the test endpoint waits for the worker before answering "queued".
TEST_SEND_WAIT_SECONDS = 10.0


class NotificationIn(BaseModel):
    recipients: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] = Field(
        max_length=1000, description="external ids of recipients"
    )
    template: str = Field(min_length=1, max_length=128)
    vars: dict[str, Any] = Field(default_factory=dict)
    channels: list[ChannelName] = Field(
        default_factory=list, description="order to try; default: the recipient's preference"
    )
    priority: Literal["transactional", "campaign"] = "transactional"
    idempotency_key: str | None = Field(None, min_length=1, max_length=200)


class NotificationRef(BaseModel):
    recipient: str
    id: int
    created: bool


class NotificationsOut(BaseModel):
    notifications: list[NotificationRef]


class DeliveryAttempt(BaseModel):
    id: int
    channel: str
    state: str
    attempts: int
    last_error: str | None
    provider_message_id: str | None
    created_at: datetime
    finished_at: datetime | None


class NotificationOut(BaseModel):
    id: int
    template: str
    channels: list[str]
    priority: str
    status: str
    channel: str | None = Field(description="the channel being tried, or that delivered it")
    error: str | None
    created_at: datetime
    updated_at: datetime
    deliveries: list[DeliveryAttempt]


class TestSendIn(BaseModel):
    user_id: str = Field(min_length=1)
    channel: ChannelName
    template_name: str = Field(min_length=1)
    template_vars: dict[str, Any] = Field(default_factory=dict)


class TestSendOut(BaseModel):
    status: Literal["sent", "failed", "queued"]
    message_id: str | None
    delivery_time_ms: float | None
    error: str | None


@router.post("/notifications", status_code=status.HTTP_202_ACCEPTED)
async def create_notifications(
    body: NotificationIn, runtime: RuntimeDep, _: Admin
) -> NotificationsOut:
    """One notification per recipient; each goes out on the first channel that works."""
    found = {ext: await runtime.recipients.get(ext) for ext in dict.fromkeys(body.recipients)}
    unknown = [ext for ext, r in found.items() if r is None]
    if unknown:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, {"message": "unknown recipients", "recipients": unknown}
        )
    refs = []
    for ext, recipient in found.items():
        assert recipient is not None
        key = f"{body.idempotency_key}:{ext}" if body.idempotency_key else None
        try:
            notification_id, created = await runtime.notifier.notify(
                NotificationRequest(
                    recipient=recipient,
                    template=body.template,
                    variables=body.vars,
                    channels=tuple(body.channels),
                    lane=Lane.parse(body.priority),
                    idempotency_key=key,
                )
            )
        except TemplateError as exc:
            raise template_http_error(exc) from None
        refs.append(NotificationRef(recipient=ext, id=notification_id, created=created))
    return NotificationsOut(notifications=refs)


@router.get("/notifications/{notification_id}")
async def get_notification(
    notification_id: Annotated[int, Path(ge=1, le=MAX_ID)], runtime: RuntimeDep
) -> NotificationOut:
    notification = await runtime.notifier.get(notification_id)
    if notification is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"notification {notification_id} not found")
    rows = await runtime.notifier.deliveries_of(notification_id)
    return NotificationOut(
        id=notification.id,
        template=notification.template,
        channels=list(notification.channels),
        priority=notification.lane.label,
        status=notification.status,
        channel=notification.channel,
        error=notification.error,
        created_at=notification.created_at,
        updated_at=notification.updated_at,
        deliveries=[
            DeliveryAttempt(
                id=r.id,
                channel=r.channel,
                state=r.state,
                attempts=r.attempts,
                last_error=r.last_error,
                provider_message_id=r.provider_message_id,
                created_at=r.created_at,
                finished_at=r.finished_at,
            )
            for r in rows
        ],
    )


@router.post("/messaging/test", status_code=status.HTTP_202_ACCEPTED)
async def test_send(body: TestSendIn, runtime: RuntimeDep, _: Owner) -> TestSendOut:
    """Render a template for one user and channel, queue it as transactional, and wait
    briefly for the worker's answer (owner only, as on the platform)."""
    recipient = await runtime.recipients.get(body.user_id)
    if recipient is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"user {body.user_id!r} not found")
    address = recipient.address(body.channel)
    if address is None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"user {body.user_id!r} has no usable {body.channel} address",
        )
    try:
        payload = runtime.notifier.payload_for(
            recipient, body.channel, body.template_name, body.template_vars
        )
    except TemplateError as exc:
        raise template_http_error(exc) from None
    started = time.perf_counter()
    enqueued = await runtime.queue.enqueue(
        NewDelivery(body.channel, address, payload, lane=Lane.TRANSACTIONAL)
    )
    runtime.metrics.messages_enqueued.labels(body.channel, "transactional").inc()
    deadline = started + TEST_SEND_WAIT_SECONDS
    while time.perf_counter() < deadline:
        delivery = await runtime.queue.get(enqueued.id)
        if delivery is not None and delivery.state in (State.SENT, State.DEAD):
            return TestSendOut(
                status="sent" if delivery.state is State.SENT else "failed",
                message_id=delivery.provider_message_id,
                delivery_time_ms=round((time.perf_counter() - started) * 1000, 1),
                error=delivery.last_error if delivery.state is State.DEAD else None,
            )
        await asyncio.sleep(0.05)
    return TestSendOut(status="queued", message_id=None, delivery_time_ms=None, error=None)
