"""Events are kept as long as the delivery log: the worker's maintenance prunes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, or_, select

from herald.db import Database
from herald.db.tables import events as E

PRUNE_BATCH = 5000


async def prune(db: Database, before: datetime) -> int:
    """Delete events fanned out before ``before``, and events never fanned out that
    occurred before it (nothing reads them: events must not pile up where no webhook
    fans out), in batches so no write holds the lock for long; returns how many."""
    old = or_(
        E.c.fanned_out_at < before,
        and_(E.c.fanned_out_at.is_(None), E.c.occurred_at < before),
    )
    pruned = 0
    while True:
        batch = select(E.c.id).where(old).limit(PRUNE_BATCH)
        async with db.write() as conn:
            count = int((await conn.execute(delete(E).where(E.c.id.in_(batch)))).rowcount)
        pruned += count
        if count < PRUNE_BATCH:
            return pruned
