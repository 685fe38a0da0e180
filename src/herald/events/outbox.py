"""The outbox: events written beside the facts they report, in the caller's transaction."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from herald.db.bulk import BulkInsert, Col, Kind
from herald.events.catalogue import EventType

_CHUNK = 1000
# One statement per batch, whatever its size: events are written on the hot paths
# (every recorded outcome), beside the facts' own bulk statements.
_INSERT = BulkInsert(
    "events",
    (
        Col("event_id", "text"),
        Col("type", "text"),
        Col("subject", "text"),
        Col("data", "text", Kind.JSON),
        Col("occurred_at", "timestamptz", Kind.TIME),
    ),
)


def new_event_id() -> str:
    """Unique per event and stable across retries: the ``webhook-id`` header."""
    return new_event_ids(1)[0]


def new_event_ids(n: int) -> list[str]:
    """``n`` event ids: the time in milliseconds (12 hex digits), then 80 random bits
    (one read of the system's randomness for the batch). Time first, as KSUIDs and
    ULIDs do, so the unique index on ``event_id`` grows at its end like the table: with
    random ids each batch wrote pages all over it, which on SQLite with 300,000 events
    cost 3-4 times the CPU of the INSERT (docs/benchmarks.md)."""
    millis = f"{time.time_ns() // 1_000_000:012x}"
    hexed = os.urandom(10 * n).hex()
    return [f"evt_{millis}{hexed[i : i + 20]}" for i in range(0, 20 * n, 20)]


def iso(at: datetime) -> str:
    """A time in events' data and headers: ISO 8601 in UTC with a ``Z``, as pydantic
    writes an aware UTC datetime in JSON mode (``2026-12-07T08:00:01.250000Z``)."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


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
    rows = [(e.id, str(e.type), e.subject, dict(e.data), e.occurred_at) for e in events]
    for start in range(0, len(rows), _CHUNK):  # within SQLite's bound parameters
        await _INSERT.run(conn, rows[start : start + _CHUNK])
