"""Cold /r/ links read together: concurrent lookups of links not yet cached go to the
database as one query for all of them, and each gets its own target (or none)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event

from herald.clock import SystemClock
from herald.db import Database, migrate
from herald.scheduling.content import ContentStore
from herald.tracking.signing import LinkRef
from herald.tracking.targets import Targets


async def test_concurrent_cold_links_are_read_in_one_query(db: Database) -> None:
    await migrate.upgrade(db)
    clock = SystemClock()
    targets = Targets(db, ContentStore(db, clock), clock)
    ids = [await targets.register(f"https://example.com/{i}", None, None) for i in range(50)]
    reads: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "FROM tracked_links" in statement:
            reads.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    wanted = [*ids, 987_654]  # and one that does not exist
    found = await asyncio.gather(
        *(targets.resolve(LinkRef(None, None, link_id, None)) for link_id in wanted)
    )
    assert [t.url if t else None for t in found] == [
        *(f"https://example.com/{i}" for i in range(50)),
        None,
    ]
    assert len(reads) == 1  # not 51
    again = await targets.resolve(LinkRef(None, None, ids[0], None))  # cached now
    assert again is not None and len(reads) == 1
