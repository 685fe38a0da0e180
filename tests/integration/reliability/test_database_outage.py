"""Database outage (issue 7, item 3): PostgreSQL stops for 10 s in the middle of a campaign.

A real `herald serve` (API and worker in one process) runs against a PostgreSQL server of
this test's own, which is stopped (``pg_ctl stop -m fast``) while the campaign is being
sent and started again on the same data directory and port. Nothing restarts herald: the
test only watches `/readyz`, the fake Bot API server and the campaign's counts.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from herald.auth import ApiKeys, Role
from herald.clock import SystemClock
from herald.db import Database, migrate
from herald.messaging.recipients import RecipientFields, Recipients
from herald.queue import DeliveryQueue, NewDelivery
from herald.worker import ChannelPlan, Worker, WorkerOptions
from herald.worker.dispatcher import LISTEN_CHECK_SECONDS
from tests.support.alerts import SL_VARS
from tests.support.fake_telegram import FakeTelegram
from tests.support.ports import free_port
from tests.support.postgres import PostgresServer
from tests.support.processes import serve_env, start_herald, stop_all, wait_ready
from tests.support.senders import ScriptedSender
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow
AUDIENCE = 250
OUTAGE = 10.0


@dataclass(frozen=True)
class Probe:
    """One GET /readyz: when it was asked and answered, and what it said (0: no answer)."""

    start: float
    end: float
    status: int
    database: str


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A server of these tests' own: stopping the session's would break other tests."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.cleanup()


async def probe_readyz(base: str, probes: list[Probe], stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=3.0) as client:
        while not stop.is_set():
            start = time.monotonic()
            try:
                r = await client.get("/readyz")
                status, database = r.status_code, str(r.json().get("database", ""))
            except httpx.HTTPError as exc:
                status, database = 0, type(exc).__name__
            probes.append(Probe(start, time.monotonic(), status, database))
            await asyncio.sleep(0.2)


async def seed(url: str) -> str:
    """The schema, an audience with Telegram chats, and an admin key; returns the key."""
    db = Database(url)
    try:
        await migrate.upgrade(db)
        recipients = Recipients(db, SystemClock())
        for i in range(AUDIENCE):
            await recipients.put(f"trader-{i}", RecipientFields(telegram_chat_id=str(5000 + i)))
        _, key = await ApiKeys(db, SystemClock()).create("outage test", Role.ADMIN)
    finally:
        await db.dispose()
    return key


async def test_herald_rides_out_a_database_outage(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    url = own_postgres.create_database("herald")
    key = await seed(url)
    async with FakeTelegram(enforce_limits=True, enforce_retry_after=True) as tg:
        port, log = free_port(), tmp_path / "serve.log"
        proc = start_herald("serve", serve_env(url, tg, port), tmp_path, log)
        base = f"http://127.0.0.1:{port}"
        probes: list[Probe] = []
        stop_probing = asyncio.Event()
        try:
            async with httpx.AsyncClient(
                base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10.0
            ) as api:
                await wait_ready(port, 30)
                prober = asyncio.create_task(probe_readyz(base, probes, stop_probing))
                started = await api.post(
                    "/api/v1/campaigns",
                    json={
                        "name": "outage",
                        "template": "position_entry_failed",
                        "vars": SL_VARS,
                        "channel": "telegram",
                        "audience": "all",
                    },
                )
                assert started.status_code == 202, started.text
                assert started.json()["queued"] == AUDIENCE
                campaign = started.json()["id"]
                await eventually(lambda: len(tg.messages) >= 40, 20, "the campaign under way")

                t_stop = time.monotonic()
                await asyncio.to_thread(own_postgres.stop, "fast")
                t_stopped = time.monotonic()
                at_stop = len(tg.messages)
                await asyncio.sleep(OUTAGE / 2 - (t_stopped - t_stop))
                # The rest of the API answers too (an error, not a hang) while it is down.
                api_during = (await api.get(f"/api/v1/campaigns/{campaign}")).status_code
                await asyncio.sleep(max(0.0, t_stop + OUTAGE - time.monotonic()))
                t_restart = time.monotonic()
                await asyncio.to_thread(own_postgres.start)
                t_started = time.monotonic()

                await eventually(
                    lambda: len({m["chat"]["id"] for m in tg.messages}) >= AUDIENCE,
                    40,
                    "every chat reached",
                )
                t_done = time.monotonic()

                async def recorded() -> bool:
                    r = await api.get(f"/api/v1/campaigns/{campaign}")
                    return r.status_code == 200 and r.json()["counts"]["sent"] == AUDIENCE

                await eventually(recorded, 10, "the campaign recorded as sent")
                counts = (await api.get(f"/api/v1/campaigns/{campaign}")).json()["counts"]
                stop_probing.set()
                await prober
            alive = proc.poll() is None
        finally:
            stop_probing.set()
            # In a thread: the stopping worker's last sends need this loop's fake server.
            (code,) = await stop_all([proc])

    text = log.read_text()
    sends = tg.requests_for("sendMessage")
    per_chat = Counter(m["chat"]["id"] for m in tg.messages)
    during = [p for p in probes if p.start >= t_stopped and p.end <= t_restart]
    after = [p for p in probes if p.start >= t_started]
    first_ok = next(p for p in after if p.status == 200)
    in_outage = [r for r in sends if t_stop <= r.at <= t_started]
    first_send_after = min(r.at for r in sends if r.at > t_started)
    lost = AUDIENCE - len(per_chat)
    duplicates = sum(per_chat.values()) - len(per_chat)
    flush_failures = text.count('"task": "_flush_tick"')
    figures = {
        "messages": AUDIENCE,
        "delivered before the stop": at_stop,
        "sends while the database was down": len(in_outage),
        "API during (GET campaign)": api_during,
        "readyz during": dict(Counter(p.status for p in during)),
        "readyz after": dict(Counter(p.status for p in after)),
        "readyz 200 again after start s": round(first_ok.end - t_started, 2),
        "first send after start s": round(first_send_after - t_started, 2),
        "pg_ctl start took s": round(t_started - t_restart, 2),
        "all delivered after start s": round(t_done - t_started, 1),
        "lost": lost,
        "duplicates": duplicates,
        "429": sum(1 for r in sends if r.status == 429),
        "claim_failed logs": text.count('"claim_failed"'),
        "failed flush logs": flush_failures,
    }
    print("\ndatabase outage:", figures)

    assert alive, text[-3000:]  # herald rode it out: nothing restarted it
    # /readyz said so while it lasted (and answered: the API itself stayed up) ...
    assert len(during) >= 10 and {p.status for p in during} == {503}, figures
    assert all("cannot connect" in p.database for p in during)
    assert api_during == 503  # the API says "wait" (Retry-After), not a server error
    # ... and is ready again afterwards, by itself.
    assert {p.status for p in after[after.index(first_ok) :]} == {200}, figures
    assert first_ok.end - t_started < 5, figures
    # Every chat got its message; a duplicate could only come from a send in flight when
    # the database went away whose lease then expired (it does not: lease 60 s > 10 s).
    assert lost == 0
    assert duplicates <= len(in_outage), figures
    assert counts == {
        "queued": 0,
        "failed": 0,
        "sent": AUDIENCE,
        "dead": 0,
        "cancelled": 0,
        "skipped": 0,
    }
    # The worker kept going (it noticed the outage, and stopped only when told to).
    assert text.count('"worker_stopped"') == 1 and '"claim_failed"' in text
    # Failing to record backs off to the poll interval: about one try a second, not 50.
    assert flush_failures <= 2 * OUTAGE, figures
    assert code in (0, -signal.SIGTERM)


async def test_a_worker_listens_again_once_the_database_is_back(
    own_postgres: PostgresServer,
) -> None:
    """Wake-ups from other processes come by LISTEN on one connection of the worker's; a
    restart kills it, and without a new one they would be lost until the worker restarts.
    The worker polls only every 30 s here, so a send within a second proves a wake-up."""
    url = own_postgres.create_database("herald_listen")
    worker_db, other_db = Database(url), Database(url)
    await migrate.upgrade(worker_db)
    other = DeliveryQueue(other_db, SystemClock())  # another process, as far as wake-ups go
    sender = ScriptedSender("telegram", SystemClock())
    worker = Worker(
        DeliveryQueue(worker_db, SystemClock()),
        {"telegram": ChannelPlan(sender)},
        options=WorkerOptions(poll_interval=30),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))

    async def wake_up_latency(recipient: str) -> float:
        start = time.monotonic()
        await other.enqueue(NewDelivery("telegram", recipient, {"text": "hi"}))
        await eventually(lambda: any(r == recipient for r, _, _ in sender.calls), 5, recipient)
        return time.monotonic() - start

    try:
        await asyncio.sleep(0.5)  # the worker is up and listening
        before = await wake_up_latency("before")
        await asyncio.to_thread(own_postgres.stop, "fast")
        await asyncio.sleep(1.0)
        await asyncio.to_thread(own_postgres.start)
        await asyncio.sleep(LISTEN_CHECK_SECONDS * 2.5)  # noticed, and LISTENing again
        after = await wake_up_latency("after")
    finally:
        stop.set()
        await task
        await worker_db.dispose()
        await other_db.dispose()

    assert before < 1.0 and after < 1.0, (before, after)
