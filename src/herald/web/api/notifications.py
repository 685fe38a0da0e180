"""Notifications (template + recipient + channel order) and the owner-only test send."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field, TypeAdapter, ValidationError, WithJsonSchema

from herald.channel import Channel
from herald.db.types import MAX_ID
from herald.messaging.intake import (
    Accepted,
    NewNotification,
    Refused,
    UnknownRecipient,
)
from herald.messaging.templates import MissingVariables, TemplateNotFound
from herald.queue import Lane, NewDelivery, State
from herald.web.deps import Admin, Owner, RuntimeDep
from herald.web.schemas import RequestModel

router = APIRouter(tags=["notifications"])

BATCH_MAX_ITEMS = 1000
# How long the test endpoint waits for the worker before answering "queued".
TEST_SEND_WAIT_SECONDS = 10.0


Channels = Annotated[
    list[Channel],
    Field(description="order to try; default: the recipient's preference"),
]
Priority = Literal["transactional", "campaign"]
RecipientId = Annotated[str, Field(min_length=1, max_length=255)]
Template = Annotated[str, Field(min_length=1, max_length=128)]


class _Message(RequestModel):
    """What is said and how, shared by a request and a batch item."""

    template: Template
    vars: dict[str, Any] = Field(default_factory=dict)
    channels: Channels = Field(default_factory=list)
    priority: Priority = "transactional"


class NotificationIn(_Message):
    recipients: Annotated[list[RecipientId], Field(min_length=1)] = Field(
        max_length=1000, description="external ids of recipients"
    )
    idempotency_key: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None, description="one notification per recipient and key, however often sent"
    )


class BatchItemIn(_Message):
    recipient: RecipientId
    idempotency_key: Annotated[str, Field(min_length=1, max_length=255)] | None = Field(
        None, description="a repeat answers with the first notification's id"
    )


_ITEM = TypeAdapter(BatchItemIn)
_ITEMS = TypeAdapter(list[BatchItemIn])


class BatchIn(BaseModel):
    # Items are validated one by one in the route (each a RequestModel), so that one bad
    # item is an error in its own result rather than a 422 for the whole batch; the
    # schema still shows them.
    items: Annotated[
        list[Any],
        Field(min_length=1, max_length=BATCH_MAX_ITEMS),
        WithJsonSchema(
            {
                "type": "array",
                "items": BatchItemIn.model_json_schema(),
                "minItems": 1,
                "maxItems": BATCH_MAX_ITEMS,
            }
        ),
    ]


class ItemError(BaseModel):
    status: int = Field(description="what this item alone would have been answered: 400/404/422")
    loc: list[str | int] = Field(description='e.g. ["body", "items", 3, "vars"]')
    msg: str
    type: str
    missing_variables: list[str] | None = None


class BatchResult(BaseModel):
    index: int
    id: int | None = None
    created: bool | None = None
    error: ItemError | None = None


class BatchOut(BaseModel):
    accepted: int
    refused: int
    results: list[BatchResult]


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


class TestSendIn(RequestModel):
    user_id: str = Field(min_length=1)
    channel: Channel
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
    """One notification per recipient; each goes out on the first channel that works.

    All or nothing: an unknown recipient (404, every one named) or a template error
    (400) stores none of them. A 202 means stored.
    """
    lane = Lane.parse(body.priority)
    externals = list(dict.fromkeys(body.recipients))
    items = [
        NewNotification(
            recipient=ext,
            template=body.template,
            variables=body.vars,
            channels=tuple(body.channels),
            lane=lane,
            idempotency_key=_per_recipient(body.idempotency_key, ext),
        )
        for ext in externals
    ]
    accepted = await runtime.intake.accept_all(items)  # errors: web/api/errors.py
    return NotificationsOut(
        notifications=[
            NotificationRef(recipient=ext, id=a.id, created=a.created)
            for ext, a in zip(externals, accepted, strict=True)
        ]
    )


@router.post("/notifications/batch")
async def create_notification_batch(body: BatchIn, runtime: RuntimeDep, _: Admin) -> BatchOut:
    """Up to 1,000 notifications, each with its own recipient, template, variables,
    channels and idempotency key; one result per item, in order. A bad item is refused
    with an error naming its index and field, and never holds back the others; the
    accepted ones are stored when this answers."""
    items, errors = _validate_items(body.items)
    valid = [i for i, item in enumerate(items) if item is not None]
    accepted: dict[int, Accepted] = {}
    results = await runtime.intake.accept([_new_notification(items[i]) for i in valid])
    for i, result in zip(valid, results, strict=True):
        if isinstance(result, Refused):
            errors[i] = _refusal(i, result)
        else:
            accepted[i] = result
    out = [
        BatchResult(index=i, id=accepted[i].id, created=accepted[i].created)
        if i in accepted
        else BatchResult(index=i, error=errors[i])
        for i in range(len(items))
    ]
    return BatchOut(accepted=len(accepted), refused=len(errors), results=out)


def _validate_items(raw: list[Any]) -> tuple[list[BatchItemIn | None], dict[int, ItemError]]:
    """Every item validated; the fast path is one pass over the whole list."""
    try:
        return list(_ITEMS.validate_python(raw)), {}
    except ValidationError:
        pass
    items: list[BatchItemIn | None] = []
    errors: dict[int, ItemError] = {}
    for i, item in enumerate(raw):
        try:
            items.append(_ITEM.validate_python(item))
        except ValidationError as exc:
            items.append(None)
            first = exc.errors()[0]
            errors[i] = ItemError(
                status=422,
                loc=["body", "items", i, *first["loc"]],
                msg=first["msg"],
                type=first["type"],
            )
    return items, errors


def _new_notification(item: BatchItemIn | None) -> NewNotification:
    assert item is not None
    return NewNotification(
        recipient=item.recipient,
        template=item.template,
        variables=item.vars,
        channels=tuple(item.channels),
        lane=Lane.parse(item.priority),
        idempotency_key=item.idempotency_key,
    )


def _refusal(index: int, refused: Refused) -> ItemError:
    loc: list[str | int] = ["body", "items", index, refused.field]
    error = refused.error
    if isinstance(error, UnknownRecipient):
        return ItemError(status=404, loc=loc, msg=str(error), type="unknown_recipient")
    if isinstance(error, TemplateNotFound):
        return ItemError(status=404, loc=loc, msg=str(error), type="unknown_template")
    if isinstance(error, MissingVariables):
        return ItemError(
            status=400,
            loc=loc,
            msg=str(error),
            type="missing_variables",
            missing_variables=error.names,
        )
    return ItemError(status=400, loc=loc, msg=str(error), type="template_error")


def _per_recipient(key: str | None, external_id: str) -> str | None:
    """The request's idempotency key made one per recipient, within the column's 255
    characters (a long id is hashed)."""
    if key is None:
        return None
    if len(key) + 1 + len(external_id) <= 255:
        return f"{key}:{external_id}"
    return f"{key}:#{hashlib.sha256(external_id.encode()).hexdigest()[:40]}"


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
    payload = runtime.notifier.payload_for(
        recipient, body.channel, body.template_name, body.template_vars
    )
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
