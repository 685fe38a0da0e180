"""A 202 means stored: `herald serve` killed with SIGKILL in the middle of a burst of
alerts (single requests and batches) loses none that it had answered."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from herald.auth import ApiKeys, Role
from herald.clock import SystemClock
from herald.db import Database, migrate
from herald.db.tables import deliveries, notifications
from herald.messaging.recipients import RecipientFields, Recipients
from tests.support.alerts import SL_VARS
from tests.support.ports import free_port
from tests.support.processes import herald_env, start_herald, wait_ready

RECIPIENTS = 50
SINGLE = 1000
BATCHES = 30
KILL_AFTER = 400  # answers received before the kill; the rest are in flight or unsent


@pytest.mark.slow
async def test_sigkill_right_after_202s_loses_no_accepted_notification(
    database_url: str, tmp_path: Path
) -> None:
    db = Database(database_url)
    await migrate.upgrade(db)
    people = Recipients(db, SystemClock())
    for i in range(RECIPIENTS):
        await people.put(f"u{i}", RecipientFields(email=f"u{i}@example.com"))
    _, key = await ApiKeys(db, SystemClock()).create("crash", Role.ADMIN)
    port = free_port()
    env = herald_env(database_url, HERALD_PORT=str(port), HERALD_LOG_LEVEL="WARNING")
    proc = start_herald("serve", env, tmp_path, tmp_path / "serve.log")
    accepted: list[int] = []
    killed = asyncio.Event()
    try:
        await wait_ready(port)
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {key}"},
            limits=limits,
            timeout=30,
        ) as client:

            def answered(ids: list[int]) -> None:
                accepted.extend(ids)
                if len(accepted) >= KILL_AFTER and not killed.is_set():
                    os.kill(proc.pid, signal.SIGKILL)  # no shutdown, no flush
                    killed.set()

            async def single(i: int) -> None:
                body = {
                    "recipients": [f"u{i % RECIPIENTS}"],
                    "template": "position_sl_failed",
                    "vars": {**SL_VARS, "position_id": f"s{i}"},
                }
                try:
                    r = await client.post("/api/v1/notifications", json=body)
                except httpx.TransportError:
                    return  # in flight at the kill: never answered, so never promised
                if r.status_code == 202:
                    answered([n["id"] for n in r.json()["notifications"]])

            async def batch(b: int) -> None:
                items = [
                    {
                        "recipient": f"u{i % RECIPIENTS}",
                        "template": "position_sl_failed",
                        "vars": {**SL_VARS, "position_id": f"b{b}-{i}"},
                    }
                    for i in range(50)
                ]
                try:
                    r = await client.post("/api/v1/notifications/batch", json={"items": items})
                except httpx.TransportError:
                    return
                if r.status_code == 200:
                    answered([x["id"] for x in r.json()["results"] if x["id"] is not None])

            jobs = [single(i) for i in range(SINGLE)] + [batch(b) for b in range(BATCHES)]
            await asyncio.gather(*jobs)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert killed.is_set(), "the burst ended before the kill: raise SINGLE"
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(notifications.c.id, deliveries.c.notification_id)
                .join(deliveries, deliveries.c.id == notifications.c.delivery_id, isouter=True)
                .where(notifications.c.id.in_(accepted))
            )
        ).all()
    await db.dispose()
    stored = {r.id for r in rows}
    assert len(accepted) >= KILL_AFTER
    assert set(accepted) <= stored, f"{len(set(accepted) - stored)} answered but not stored"
    assert all(r.notification_id == r.id for r in rows), "a notification without its delivery"
