"""The events outbox read back, and a database that refuses to record events.

``refusing_events`` makes every INSERT into ``events`` fail inside the database (a
trigger), so a test can prove that the fact written in the same transaction is rolled
back with it: an event exists if and only if its fact was committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa

from herald.db import Database, tables
from herald.events import EventType

_PG_REFUSE = [
    "CREATE FUNCTION test_refuse_events() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'events refused (test)'; END $$",
    "CREATE TRIGGER test_refuse_events BEFORE INSERT ON events "
    "FOR EACH ROW EXECUTE FUNCTION test_refuse_events()",
]
_PG_ALLOW = [
    "DROP TRIGGER test_refuse_events ON events",
    "DROP FUNCTION test_refuse_events()",
]
_SQLITE_REFUSE = [
    "CREATE TRIGGER test_refuse_events BEFORE INSERT ON events "
    "BEGIN SELECT RAISE(ABORT, 'events refused (test)'); END"
]
_SQLITE_ALLOW = ["DROP TRIGGER test_refuse_events"]


async def events_of(db: Database, *types: EventType) -> list[Any]:
    """Recorded events (of ``types``, else all), in the order they were recorded."""
    e = tables.events
    query = sa.select(e).order_by(e.c.id)
    if types:
        query = query.where(e.c.type.in_([str(t) for t in types]))
    async with db.read() as conn:
        return list((await conn.execute(query)).all())


async def data_of(db: Database, *types: EventType) -> list[dict[str, Any]]:
    return [row.data for row in await events_of(db, *types)]


@asynccontextmanager
async def refusing_events(db: Database) -> AsyncIterator[None]:
    """While inside, the database refuses every event row (and so its transaction)."""
    pg = db.dialect == "postgresql"
    await _run(db, _PG_REFUSE if pg else _SQLITE_REFUSE)
    try:
        yield
    finally:
        await _run(db, _PG_ALLOW if pg else _SQLITE_ALLOW)


async def _run(db: Database, statements: list[str]) -> None:
    async with db.write() as conn:
        for statement in statements:
            await conn.exec_driver_sql(statement)
