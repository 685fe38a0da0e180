"""The outbox: events written beside the facts they report, in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from herald.db import tables
from herald.events.catalogue import EventType


def new_event_id() -> str:
    """Unique per event and stable across retries: the ``webhook-id`` header."""
    return f"evt_{uuid.uuid4().hex}"


@dataclass(frozen=True, slots=True)
class Event:
    """One fact. ``subject`` orders events about the same thing (``delivery:42``):
    receivers get one subject's events in the order they were recorded."""

    type: EventType
    subject: str
    data: Mapping[str, Any]
    occurred_at: datetime
    id: str = field(default_factory=new_event_id)


async def record(conn: AsyncConnection, events: Sequence[Event]) -> None:
    """Write ``events`` in ``conn``'s transaction; they commit or vanish with it."""
    if not events:
        return
    await conn.execute(
        tables.events.insert(),
        [
            {
                "event_id": e.id,
                "type": str(e.type),
                "subject": e.subject,
                "data": dict(e.data),
                "occurred_at": e.occurred_at,
            }
            for e in events
        ],
    )
