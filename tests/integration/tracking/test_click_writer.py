"""The click writer against a database that refuses one row: the rest are written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from herald.db import Database, migrate
from herald.db.tables import clicks
from herald.metrics import Metrics
from herald.tracking.clicks import ClickStore, NewClick
from tests.support.logs import log_lines

WHEN = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def test_one_row_the_database_refuses_is_dropped_and_the_rest_written(
    db: Database, json_logs: pytest.CaptureFixture[str]
) -> None:
    await migrate.upgrade(db)
    store = ClickStore(db, Metrics())
    for user in (1, 2**70, 3):  # 2**70 fits no BIGINT / SQLite INTEGER
        await store.record(NewClick("callback", WHEN, promo_id=9, cta=0, telegram_user_id=user))
    store.start()
    await store.close()
    async with db.read() as conn:
        stored = (await conn.execute(select(clicks.c.telegram_user_id))).scalars().all()
    assert sorted(stored) == [1, 3]
    refused = [line for line in log_lines(json_logs) if line["event"] == "click_refused"]
    assert len(refused) == 1 and refused[0]["promo_id"] == 9
