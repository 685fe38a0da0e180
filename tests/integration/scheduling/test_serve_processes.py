"""Two real `herald serve` processes on one PostgreSQL database: every slot of a
schedule is posted exactly once, counted at the fake Bot API server."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from herald.auth import ApiKeys, Role
from herald.clock import SystemClock
from herald.db import Database
from herald.db.tables import schedule_runs
from tests.support.fake_telegram import FakeTelegram
from tests.support.ports import free_port
from tests.support.postgres import PostgresServer
from tests.support.processes import (
    migrate,
    serve_env,
    start_herald,
    stop_all,
    wait_ready,
)

pytestmark = pytest.mark.slow
CHATS = ["-1001", "-1002"]


SETTINGS = {
    "HERALD_SCHEDULE_SYNC_SECONDS": "0.5",
    "HERALD_POLL_INTERVAL_SECONDS": "0.2",
    "HERALD_TELEGRAM__GROUP_PER_MINUTE": "600",
}


async def test_two_serve_processes_post_each_slot_once(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    database_url = postgres_server.create_database("herald_two_serves")
    migrate(database_url, tmp_path)
    async with FakeTelegram() as telegram:
        ports = [free_port(), free_port()]
        logs = [tmp_path / f"serve-{port}.log" for port in ports]
        procs = [
            start_herald(
                "serve", serve_env(database_url, telegram, port, **SETTINGS), tmp_path, log
            )
            for port, log in zip(ports, logs, strict=True)
        ]
        db = Database(database_url)
        _, key = await ApiKeys(db, SystemClock()).create("test", Role.OWNER)
        try:
            for port in ports:
                await wait_ready(port)
            base, auth = f"http://127.0.0.1:{ports[0]}", {"Authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(base_url=base, headers=auth) as api:
                created = await api.post(
                    "/api/v1/schedules",
                    json={
                        "name": "every-two-seconds",
                        "kind": "guides",
                        "interval_seconds": 2,
                        "chat_ids": CHATS,
                        "post_on_start": True,
                    },
                )
                assert created.status_code == 201, created.text
                schedule_id = created.json()["id"]
                await asyncio.sleep(11)  # about six slots, each raced by both processes
                paused = await api.patch(
                    f"/api/v1/schedules/{schedule_id}", json={"enabled": False}
                )
                assert paused.status_code == 200
                await asyncio.sleep(3)  # let the last posts go out
        finally:
            codes = await stop_all(procs)
        try:
            async with db.read() as conn:
                runs = (
                    await conn.execute(
                        select(schedule_runs).where(schedule_runs.c.schedule_id == schedule_id)
                    )
                ).all()
        finally:
            await db.dispose()

    # uvicorn re-raises SIGTERM once its graceful shutdown is done, hence -15.
    assert set(codes) <= {0, -signal.SIGTERM}
    for log in logs:
        assert '"worker_stopped"' in log.read_text()  # shut down cleanly, not killed
    posted = [r for r in runs if r.status in ("queued", "done")]
    assert len(posted) >= 4, runs
    assert len({r.slot_at for r in runs}) == len(runs)  # one row per slot
    # Each posted slot reached each chat exactly once, whoever claimed it.
    per_chat = Counter(str(m["chat"]["id"]) for m in telegram.messages)
    assert per_chat == {chat: len(posted) for chat in CHATS}
