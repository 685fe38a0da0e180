"""A sender for channels without credentials: "sends" into the sandbox inbox table.

So a fresh `herald serve` does real work end to end, and operators can read what
would have gone out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import sandbox_messages
from herald.queue import Delivery, Outcome, Sent


class SandboxSender:
    sandbox = True

    def __init__(self, channel: str, db: Database, clock: Clock) -> None:
        self.channel = channel
        self._db = db
        self._clock = clock

    async def send(self, delivery: Delivery) -> Outcome:
        async with self._db.write() as conn:
            result = await conn.execute(
                insert(sandbox_messages)
                .values(
                    delivery_id=delivery.id,
                    channel=delivery.channel,
                    recipient=delivery.recipient,
                    payload=delivery.payload,
                    created_at=self._clock.now(),
                )
                .returning(sandbox_messages.c.id)
            )
            message_id = result.scalar_one()
        return Sent(provider_message_id=f"sandbox-{message_id}")

    async def close(self) -> None:
        return None


async def read_inbox(
    db: Database, *, channel: str | None = None, limit: int = 50, before_id: int | None = None
) -> list[dict[str, Any]]:
    """The sandbox inbox, newest first."""
    t = sandbox_messages
    stmt = select(t).order_by(t.c.id.desc()).limit(limit)
    if channel is not None:
        stmt = stmt.where(t.c.channel == channel)
    if before_id is not None:
        stmt = stmt.where(t.c.id < before_id)
    async with db.read() as conn:
        return [dict(row._mapping) for row in await conn.execute(stmt)]
