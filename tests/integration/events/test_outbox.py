"""The outbox on both databases: an event commits with its fact or not at all."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from herald.db import Database, tables
from herald.events import Event, EventType, record

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


async def _events(db: Database) -> list[sa.Row]:
    async with db.read() as conn:
        result = await conn.execute(sa.select(tables.events).order_by(tables.events.c.id))
        return list(result)


async def test_recorded_events_commit_with_the_transaction(db: Database) -> None:
    first = Event(EventType.WEBHOOK_TEST, "webhook:1", {"n": 1}, NOW)
    second = Event(EventType.DELIVERY_SENT, "delivery:7", {"id": 7, "channel": "email"}, NOW)
    async with db.write() as conn:
        await record(conn, [first, second])

    rows = await _events(db)
    assert [(r.event_id, r.type, r.subject, r.data) for r in rows] == [
        (first.id, "webhook.test", "webhook:1", {"n": 1}),
        (second.id, "delivery.sent", "delivery:7", {"id": 7, "channel": "email"}),
    ]
    assert rows[0].occurred_at == NOW and rows[0].fanned_out_at is None
    assert first.id.startswith("evt_") and first.id != second.id


async def test_an_event_vanishes_with_its_rolled_back_fact(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await record(conn, [Event(EventType.WEBHOOK_TEST, "webhook:1", {}, NOW)])
            raise RuntimeError("the fact's transaction failed")
    assert await _events(db) == []
