"""Named leases in the database: at most one holder at a time, until it expires.

Used so that one worker process dispatches a rate-limited channel (a Telegram bot
token) at a time: its in-memory limiter then holds for every process together,
and if that process dies another takes over when the lease runs out.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import channel_leases as L


class Leases:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def acquire(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew ``name`` for ``holder``; False while someone else holds it."""
        now = self._clock.now()
        expires = now + ttl
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        async with self._db.write() as conn:
            taken = await conn.execute(
                update(L)
                .where(L.c.name == name, (L.c.holder == holder) | (L.c.expires_at < now))
                .values(holder=holder, expires_at=expires)
            )
            if taken.rowcount:
                return True
            created = await conn.execute(
                insert(L)
                .values(name=name, holder=holder, expires_at=expires)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            return bool(created.rowcount)

    async def release(self, name: str, holder: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(delete(L).where(L.c.name == name, L.c.holder == holder))
