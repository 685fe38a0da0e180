"""Enqueue and inspect deliveries; list and replay dead letters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from herald.db.types import MAX_ID
from herald.queue import DeliveryFilter, Lane, NewDelivery, State
from herald.queue import admin as queue_admin
from herald.web.deps import Admin, QueueDep, RuntimeDep
from herald.web.schemas import (
    DeliveryIn,
    DeliveryOut,
    EnqueuedOut,
    ReplayFilter,
    ReplayOut,
    StoredText,
    UtcTime,
)

router = APIRouter(tags=["deliveries"])

Limit = Annotated[int, Query(ge=1, le=1000)]
# Ids fit a 64-bit column: a larger one would fail in the driver (a 500), not match nothing.
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID)]
BeforeId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.post("/deliveries", status_code=status.HTTP_202_ACCEPTED)
async def enqueue(body: DeliveryIn, runtime: RuntimeDep, _: Admin) -> EnqueuedOut:
    """Queue one delivery. Repeating a call with the same idempotency_key returns the first id."""
    if body.channel not in runtime.senders:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["body", "channel"],
                    "msg": f"unknown channel; use one of {sorted(runtime.senders)}",
                    "type": "value_error",
                }
            ],
        )
    result = await runtime.queue.enqueue(
        NewDelivery(
            channel=body.channel,
            recipient=body.recipient,
            payload=body.payload,
            lane=Lane.parse(body.lane),
            ordering_key=body.ordering_key,
            idempotency_key=body.idempotency_key,
            campaign=body.campaign,
            run_at=body.run_at,
        )
    )
    return EnqueuedOut(id=result.id, created=result.created)


@router.get("/deliveries")
async def list_deliveries(
    queue: QueueDep,
    state: State | None = None,
    channel: StoredText | None = None,
    lane: Annotated[str | None, Query(pattern="^(transactional|campaign)$")] = None,
    campaign: StoredText | None = None,
    error: StoredText | None = None,
    since: UtcTime | None = None,
    until: UtcTime | None = None,
    limit: Limit = 100,
    before_id: BeforeId = None,
) -> list[DeliveryOut]:
    """Newest first. Page with ``before_id`` set to the last id of the previous page."""
    f = DeliveryFilter(
        state=state,
        channel=channel,
        lane=Lane.parse(lane) if lane else None,
        campaign=campaign,
        error_contains=error,
        since=since,
        until=until,
    )
    found = await queue_admin.list_deliveries(queue, f, limit=limit, before_id=before_id)
    return [DeliveryOut.of(d) for d in found]


@router.get("/deliveries/{delivery_id}")
async def get_delivery(delivery_id: DeliveryId, queue: QueueDep) -> DeliveryOut:
    delivery = await queue.get(delivery_id)
    if delivery is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"delivery {delivery_id} not found")
    return DeliveryOut.of(delivery)


@router.get("/dead-letters")
async def list_dead_letters(
    queue: QueueDep,
    channel: StoredText | None = None,
    error: Annotated[StoredText | None, Query(description="substring of the last error")] = None,
    campaign: StoredText | None = None,
    since: UtcTime | None = None,
    until: UtcTime | None = None,
    limit: Limit = 100,
    before_id: BeforeId = None,
) -> list[DeliveryOut]:
    f = DeliveryFilter(
        state=State.DEAD,
        channel=channel,
        campaign=campaign,
        error_contains=error,
        since=since,
        until=until,
    )
    found = await queue_admin.list_deliveries(queue, f, limit=limit, before_id=before_id)
    return [DeliveryOut.of(d) for d in found]


@router.post("/dead-letters/{delivery_id}/replay")
async def replay_one(delivery_id: DeliveryId, queue: QueueDep, _: Admin) -> ReplayOut:
    replayed = await queue_admin.replay(queue, DeliveryFilter(ids=(delivery_id,)))
    if not replayed:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"delivery {delivery_id} is not a dead letter"
        )
    return ReplayOut(replayed=replayed)


@router.post("/dead-letters/replay")
async def replay_many(body: ReplayFilter, queue: QueueDep, _: Admin) -> ReplayOut:
    """Replay every dead letter matching the filter (all fields combine with AND)."""
    f = DeliveryFilter(
        ids=tuple(body.ids),
        channel=body.channel,
        campaign=body.campaign,
        error_contains=body.error,
        since=body.since,
        until=body.until,
    )
    if f == DeliveryFilter() and not body.all:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["body", "all"],
                    "msg": "give a filter, or set all=true to replay every dead letter",
                    "type": "value_error",
                }
            ],
        )
    return ReplayOut(replayed=await queue_admin.replay(queue, f))
