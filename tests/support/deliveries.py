"""Deliveries for tests: a ``NewDelivery`` to enqueue, and a claimed ``Delivery`` for
channel tests, built without touching the queue."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from herald.queue import Delivery, Lane, NewDelivery, State

_ids = itertools.count(1)


def telegram_text(recipient: str, text: str = "hi", **fields: Any) -> NewDelivery:
    """A Telegram text message to enqueue; ``fields`` are NewDelivery's other fields."""
    return NewDelivery("telegram", recipient, {"text": text}, **fields)


def make_delivery(
    channel: str,
    recipient: str,
    payload: dict[str, Any],
    *,
    lane: Lane = Lane.TRANSACTIONAL,
    delivery_id: int | None = None,
    attempts: int = 1,
) -> Delivery:
    """A delivery as a worker holds it mid-send: RUNNING, 5 attempts allowed, made now."""
    now = datetime.now(UTC)
    return Delivery(
        id=next(_ids) if delivery_id is None else delivery_id,
        lane=lane,
        channel=channel,
        recipient=recipient,
        ordering_key=None,
        payload=payload,
        state=State.RUNNING,
        attempts=attempts,
        max_attempts=5,
        run_at=now,
        locked_until=None,
        locked_by=None,
        last_error=None,
        provider_message_id=None,
        idempotency_key=None,
        campaign=None,
        created_at=now,
        finished_at=None,
    )
