"""Daily budgets in the database: how much of a named allowance each UTC day has used.

A worker reserves from the day's budget before it spends (paid Telegram broadcasts),
so the count survives restarts and holds across processes: nothing can reserve past
the cap, and a worker that dies with part of its reservation unspent only leaves the
day's budget smaller than it could have been, never larger.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from herald.db import Database
from herald.db.tables import daily_counters as C


class DailyBudgets:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def used(self, name: str, day: date) -> int:
        async with self._db.read() as conn:
            value = await conn.scalar(
                select(C.c.used).where(C.c.name == name, C.c.day == day.isoformat())
            )
        return int(value or 0)

    async def reserve(self, name: str, day: date, wanted: int, cap: int) -> tuple[int, int]:
        """Take up to ``wanted`` of ``cap`` for ``day``: (granted, used after it)."""
        insert = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        key = (C.c.name == name) & (C.c.day == day.isoformat())
        async with self._db.write() as conn:
            await conn.execute(
                insert(C)
                .values(name=name, day=day.isoformat(), used=0)
                .on_conflict_do_nothing(index_elements=["name", "day"])
            )
            used = int(await conn.scalar(select(C.c.used).where(key).with_for_update()) or 0)
            granted = max(min(wanted, cap - used), 0)
            if granted:
                await conn.execute(update(C).where(key).values(used=C.c.used + granted))
        return granted, used + granted

    async def give_back(self, name: str, day: date, count: int) -> None:
        """Return reserved but unspent units (a worker stopping cleanly)."""
        if count <= 0:
            return
        key = (C.c.name == name) & (C.c.day == day.isoformat())
        async with self._db.write() as conn:
            await conn.execute(
                update(C).where(key & (C.c.used >= count)).values(used=C.c.used - count)
            )
