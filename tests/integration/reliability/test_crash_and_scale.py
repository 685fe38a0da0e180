"""Crash and scale-out with real processes on one PostgreSQL database (issue 7, items 1
and 4), counted where it matters: at the fake Telegram Bot API server.

Each test prints its figures as a Markdown table (kill points, in-flight sends,
duplicates, times; window maxima, slots): run pytest with ``-s`` to see them. Printed
rather than written under bench/results/, so that a test run changes no file.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert, select

from herald.auth import ApiKeys, Role
from herald.clock import SystemClock
from herald.config import load_settings
from herald.db import Database, migrate
from herald.db.tables import channel_leases, deliveries, recipients
from herald.messaging.campaigns import CampaignRequest
from herald.queue import DeliveryQueue, State, admin
from herald.runtime import Runtime
from herald.scheduling.runs import RunLog
from tests.support.alerts import SL_VARS
from tests.support.deliveries import telegram_text
from tests.support.fake_telegram import FakeTelegram, Limits, RecordedRequest
from tests.support.ports import free_port
from tests.support.postgres import PostgresServer
from tests.support.processes import fake_bot, herald_env, start_herald, stop_all, wait_ready
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

# position_entry_failed's variables; position_id (optional) tells campaigns apart.
ENTRY_VARS = {k: v for k, v in SL_VARS.items() if k not in ("sl_price", "position_id")}


def sends(telegram: FakeTelegram) -> list[RecordedRequest]:
    return telegram.requests_for("sendMessage")


async def add_recipients(db: Database, chats: Iterable[str]) -> None:
    """One recipient per chat, in one multi-row INSERT (setup: thousands of API calls
    would take longer than a trial)."""
    now = SystemClock().now()
    rows = [
        {
            "external_id": f"r{chat}",
            "telegram_chat_id": chat,
            "channels": [],
            "opted_out": [],
            "created_at": now,
            "updated_at": now,
        }
        for chat in chats
    ]
    async with db.write() as conn:
        await conn.execute(insert(recipients), rows)


# -- 1. crash -----------------------------------------------------------------------

TOTAL = 2000
TRIALS = 3
# Far above Telegram's limits, so that each trial is about the crash and stays short;
# every chat gets one message, so the per-chat limits never wait.
FAST = {
    "HERALD_TELEGRAM__RATE_PER_SECOND": "100000",
    "HERALD_TELEGRAM__BURST": "1000",
    # A dead worker's claims are rescued within 10 s, before the restarted worker gets
    # the Telegram lease (15 s). Shorter leases expire under a busy machine while their
    # worker still runs (a stalled heartbeat), and are sent twice without any crash.
    "HERALD_LEASE_SECONDS": "10",
    "HERALD_POLL_INTERVAL_SECONDS": "0.2",
    "HERALD_LOG_LEVEL": "WARNING",
}


@dataclass
class Trial:
    seed: int
    kill_at: int  # messages the server had received when the kill was ordered
    sent_before: int  # messages the server had received once the victim was dead
    in_flight: int  # deliveries claimed by the victim whose outcome it never recorded
    reached: int  # of those, already received by the server: the ones sent twice
    duplicates: int
    lost: int
    rate: float  # the victim's sends per second
    takeover: float  # seconds from the kill to the restarted worker's first send
    finish: float  # seconds from the kill to the last delivery recorded as sent
    exit_code: int

    def row(self) -> str:
        return (
            f"| {self.seed} | {self.kill_at} | {self.sent_before} | {self.in_flight} "
            f"| {self.reached} | {self.duplicates} | {self.lost} | {self.rate:.0f} "
            f"| {self.takeover:.1f} | {self.finish:.1f} |"
        )


CRASH_CHATS = [str(100_000 + i) for i in range(TOTAL)]  # a private chat each


async def campaign_runtime(postgres_server: PostgresServer) -> Runtime:
    """herald in-process, without a worker, on a fresh PostgreSQL database with a
    recipient in each of CRASH_CHATS: it starts the campaign."""
    url = postgres_server.create_database(f"herald_crash_{uuid.uuid4().hex[:8]}")
    runtime = Runtime.build(load_settings(env="dev", database_url=url))
    await migrate.upgrade(runtime.db)
    await add_recipients(runtime.db, CRASH_CHATS)
    return runtime


async def running_recipients(db: Database, campaign: int) -> list[str]:
    """Recipients of the campaign's deliveries that are claimed and not yet recorded."""
    d = deliveries
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(d.c.recipient, d.c.locked_by).where(
                    d.c.campaign == str(campaign), d.c.state == State.RUNNING
                )
            )
        ).all()
    assert all(r.locked_by for r in rows)  # every one is held by a claim (the victim's)
    return [r.recipient for r in rows]


async def crash_trial(runtime: Runtime, cwd: Path, seed: int) -> Trial:
    """One campaign; SIGKILL its worker at a seeded random point; a new worker finishes."""
    kill_at = random.Random(seed).randint(TOTAL // 20, TOTAL - TOTAL // 20)
    log = cwd / f"crash-{seed}.log"
    async with FakeTelegram() as telegram:
        env = herald_env(runtime.settings.database_url, **fake_bot(telegram), **FAST)
        campaign = await runtime.campaigns.start(
            CampaignRequest(
                name=f"crash-{seed}",
                template="position_entry_failed",
                variables={**ENTRY_VARS, "position_id": f"crash-{seed}"},
                channel="telegram",
                audience=None,
            )
        )
        victim = start_herald("worker", env, cwd, log)
        try:
            await eventually(
                lambda: len(telegram.messages) >= kill_at or victim.poll() is not None,
                180,  # generous: a machine shared with other work can be slow
                f"{kill_at} messages",
            )
            assert victim.poll() is None, log.read_text()
        finally:
            victim.kill()
            await asyncio.to_thread(victim.wait)
        killed = time.monotonic()
        # Whatever the victim had written before it died is in the server's socket
        # buffers; let the server read it (or drop it) before counting.
        await asyncio.sleep(0.5)
        before = sends(telegram)
        received = Counter(str(m["chat"]["id"]) for m in telegram.messages)
        # In flight = the deliveries still `running`: claimed by the victim, outcome never
        # recorded. Nothing changes them until the restart, and they are exactly what the
        # rescuer gives back to be sent again: each one the server had already received
        # comes twice. (Sends received but not yet answered by the server are among them;
        # the fake answers at once, so there are hardly any to count.)
        in_flight = await running_recipients(runtime.db, campaign)
        reached = sum(1 for chat in in_flight if received[chat])

        survivor = start_herald("worker", env, cwd, log)
        try:

            async def all_sent() -> bool:
                status = await runtime.campaigns.status(campaign)
                assert status is not None and status.counts["dead"] == 0, status
                return status.counts["sent"] == TOTAL

            await eventually(all_sent, 180, f"campaign {campaign} sent", every=0.2)
            finish = time.monotonic() - killed
        finally:
            (code,) = await stop_all([survivor])
        after_kill = [r.at for r in sends(telegram) if r.at > killed]
        per_chat = Counter(str(m["chat"]["id"]) for m in telegram.messages)
    span = before[-1].at - before[0].at if len(before) > 1 else 0.0
    return Trial(
        seed=seed,
        kill_at=kill_at,
        sent_before=len(before),
        in_flight=len(in_flight),
        reached=reached,
        duplicates=sum(per_chat.values()) - len(per_chat),
        lost=len(set(CRASH_CHATS) - set(per_chat)),
        rate=(len(before) - 1) / span if span else 0.0,
        takeover=min(after_kill, default=killed) - killed,
        finish=finish,
        exit_code=code,
    )


async def test_sigkill_mid_campaign_loses_nothing_and_resends_only_sends_in_flight(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """At-least-once across a crash: a worker killed at a random point of a 2,000-message
    campaign loses none of it, and only the sends in flight at the kill go out twice.

    The trials run side by side, each with a database and a fake server of its own:
    most of a trial is the restarted worker waiting out the dead one's Telegram lease
    (15 s), and waiting side by side keeps the test short. CRASH_SEED=<n> repeats a
    run's kill points (it is printed, and in every failure).
    """
    base = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(1 << 31))
    runtimes = [await campaign_runtime(postgres_server) for _ in range(TRIALS)]
    try:
        async with asyncio.TaskGroup() as group:  # one failing stops the others' processes
            tasks = [
                group.create_task(crash_trial(rt, tmp_path, base + n))
                for n, rt in enumerate(runtimes)
            ]
        trials = [task.result() for task in tasks]
    finally:
        for rt in runtimes:
            await rt.close()
    print(f"\ncrash: {TRIALS} trials side by side, {TOTAL} messages each, CRASH_SEED={base}")
    print(
        "| seed | kill at | sent before kill | in flight | of which reached | duplicates "
        "| lost | sends/s | takeover s | finish s |"
    )
    for t in trials:
        print(t.row())
    for t in trials:
        context = f"CRASH_SEED={base}: {t}"
        assert t.exit_code == 0, context
        assert t.lost == 0, context
        assert t.duplicates <= t.in_flight, context
        # Exactly those of the in-flight sends that had reached the server, no others.
        assert t.duplicates == t.reached, context


# -- 4. scale-out -------------------------------------------------------------------

CAMPAIGNS = 3  # each to every recipient: every private chat gets CAMPAIGNS messages
SCALE_CHATS = [str(200_000 + i) for i in range(80)]
GROUPS = ["-1001", "-1002"]  # the schedule's chats
SLOT_SECONDS = 3  # one post a slot to each group: Telegram's 20 a minute per group
# One group pushed past its limit: more messages than Telegram takes in a minute, all
# queued at once, so only herald's per-group limit keeps them inside it.
PUSHED_GROUP = "-1003"
PUSHED = 21


def most_in_window(times: Iterable[float], span: float) -> int:
    """The most of ``times`` in any half-open window ``[t, t + span)``."""
    ordered, most, start = sorted(times), 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - span:
            start += 1
        most = max(most, end - start + 1)
    return most


@dataclass
class ScaleRun:
    sends: int
    campaign: int
    posts: int
    slots: int
    pushed: int  # messages the pushed group received
    pushed_window: int  # most of them in any 60 s
    bot_window: int  # most sends in any 1 s, all processes together
    private_window: int  # most sends to one private chat in any 1 s
    group_window: int  # most sends to one group in any 60 s
    duplicates: int  # sends beyond one per delivery
    restarted: str  # the dispatching process restarted mid-campaign: serve or worker
    gap: float  # the longest pause between two sends: the old dispatcher's last, the new's first
    seconds: float

    def row(self) -> str:
        return (
            f"| {self.sends} | {self.campaign} | {self.posts} | {self.slots} "
            f"| {self.pushed} | {self.pushed_window} | {self.bot_window} "
            f"| {self.private_window} | {self.group_window} "
            f"| {self.duplicates} | {self.restarted} | {self.gap:.1f} "
            f"| {self.seconds:.0f} |"
        )


async def telegram_dispatcher(db: Database) -> int:
    """The pid of the process holding the bot's lease (holders are host:pid:suffix)."""
    async with db.read() as conn:
        holder = await conn.scalar(
            select(channel_leases.c.holder).where(channel_leases.c.name.like("telegram:%"))
        )
    assert holder is not None, "no process dispatches Telegram"
    return int(str(holder).rsplit(":", 2)[1])


async def test_three_workers_and_two_serves_keep_telegram_limits_and_send_once(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """Five processes that may dispatch for one bot (each serve runs a worker too), and
    the dispatching one restarted mid-campaign (SIGTERM, as a rolling upgrade does):
    Telegram's limits hold for all of them together, each slot is posted once, and no
    delivery is sent twice (nothing crashes here, so not even in-flight ones).

    The fake server enforces Telegram's limits (a 429 past them), and one group is
    pushed past its 20 a minute after the restart: the test takes over a minute of
    real time, most of it waiting, so it runs beside the others (not serial)."""
    url = postgres_server.create_database(f"herald_scale_{uuid.uuid4().hex[:8]}")
    db = Database(url)
    await migrate.upgrade(db)
    await add_recipients(db, SCALE_CHATS)
    queue = DeliveryQueue(db, SystemClock())
    _, key = await ApiKeys(db, SystemClock()).create("test", Role.OWNER)
    started = time.monotonic()
    async with FakeTelegram(enforce_limits=True) as telegram:
        # Telegram's limits as shipped: nothing here raises them.
        common = {**fake_bot(telegram), "HERALD_POLL_INTERVAL_SECONDS": "0.2"}
        ports = [free_port(), free_port()]
        specs = [
            (
                "serve",
                herald_env(
                    url, **common, HERALD_PORT=str(port), HERALD_SCHEDULE_SYNC_SECONDS="0.5"
                ),
                tmp_path / f"serve-{port}.log",
            )
            for port in ports
        ]
        specs += [
            ("worker", herald_env(url, **common), tmp_path / f"worker-{i}.log") for i in range(3)
        ]
        procs = [start_herald(command, env, tmp_path, log) for command, env, log in specs]
        codes: list[int] = []
        auth = {"Authorization": f"Bearer {key}"}
        apis = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", headers=auth) for p in ports]
        expected = CAMPAIGNS * len(SCALE_CHATS)

        def campaign_sends() -> int:
            return sum(str(r.chat_id) in SCALE_CHATS for r in sends(telegram))

        try:
            for port in ports:
                await wait_ready(port)
            created = await apis[1].post(
                "/api/v1/schedules",
                json={
                    "name": "scale-out",
                    "kind": "guides",
                    "interval_seconds": SLOT_SECONDS,
                    "chat_ids": GROUPS,
                    "post_on_start": True,
                },
            )
            assert created.status_code == 201, created.text
            schedule_id = created.json()["id"]
            for n in range(CAMPAIGNS):  # through both serve processes
                body = {
                    "name": f"scale-{n}",
                    "template": "position_entry_failed",
                    "vars": {**ENTRY_VARS, "position_id": f"scale-{n}"},
                    "channel": "telegram",
                    "audience": "all",
                }
                campaign = await apis[n % 2].post("/api/v1/campaigns", json=body)
                assert campaign.status_code == 202, campaign.text

            # A third of the way in, restart whichever process dispatches Telegram.
            await eventually(lambda: campaign_sends() >= expected // 3, 120, "a third sent")
            pid = await telegram_dispatcher(db)
            (i,) = [i for i, proc in enumerate(procs) if proc.pid == pid]
            codes += await stop_all([procs[i]])
            command, env, log = specs[i]
            specs.append((command, env, log.with_name(f"{log.stem}-restarted.log")))
            procs[i] = start_herald(command, env, tmp_path, specs[-1][2])
            if command == "serve":
                await wait_ready(int(env["HERALD_PORT"]))
            # After the restart, so that one dispatcher sees all of the group's sends
            # (the per-chat limits are kept in the dispatcher's memory).
            await queue.enqueue_many(
                telegram_text(PUSHED_GROUP, f"Pushed post {n}", idempotency_key=f"pushed:{n}")
                for n in range(PUSHED)
            )

            # At 30/s the campaign takes expected / 30 s; slots come due meanwhile.
            await eventually(lambda: campaign_sends() >= expected, 120, "the campaign", every=0.2)
            paused = await apis[1].patch(
                f"/api/v1/schedules/{schedule_id}", json={"enabled": False}
            )
            assert paused.status_code == 200

            async def drained() -> bool:
                stats = await admin.stats(queue)
                return stats.total(State.PENDING) + stats.total(State.RUNNING) == 0

            # 20 a minute: the last of the pushed group's messages comes after a minute.
            await eventually(drained, 150, "an empty queue", every=0.2)
        finally:
            for api in apis:
                await api.aclose()
            codes += await stop_all(procs)
        seconds = time.monotonic() - started
        try:
            runs = await RunLog(db).runs(schedule_id, limit=1000)
            async with db.read() as conn:
                rows = (await conn.execute(select(deliveries))).all()
        finally:
            await db.dispose()
    requests = sends(telegram)
    by_chat: dict[str, list[float]] = {}
    for r in requests:
        by_chat.setdefault(str(r.chat_id), []).append(r.at)
    posted = [r for r in runs if r.status in ("queued", "done")]
    campaign_texts = Counter(
        (str(r.chat_id), r.params["text"]) for r in requests if str(r.chat_id) in SCALE_CHATS
    )
    # A message is the server's (chat, message_id); a sent delivery records the same pair.
    # Deliveries with an ``action`` (a post's member count) send no message.
    messages = [d for d in rows if "action" not in d.payload]
    at_server = Counter((str(m["chat"]["id"]), str(m["message_id"])) for m in telegram.messages)
    recorded = Counter((d.recipient, d.provider_message_id) for d in messages)
    run = ScaleRun(
        sends=len(requests),
        campaign=sum(campaign_texts.values()),
        posts=sum(len(by_chat.get(chat, [])) for chat in GROUPS),
        slots=len(posted),
        pushed=len(by_chat.get(PUSHED_GROUP, [])),
        pushed_window=most_in_window(by_chat.get(PUSHED_GROUP, []), 60.0),
        bot_window=most_in_window((r.at for r in requests), 1.0),
        private_window=max(most_in_window(by_chat.get(chat, []), 1.0) for chat in SCALE_CHATS),
        group_window=max(most_in_window(by_chat.get(chat, []), 60.0) for chat in GROUPS),
        duplicates=len(requests) - len(messages),
        restarted=specs[i][0],
        gap=max(b - a for a, b in itertools.pairwise(sorted(r.at for r in requests))),
        seconds=seconds,
    )
    print("\nscale-out: 3 `herald worker` + 2 `herald serve`, one PostgreSQL, one bot")
    print(
        "| sends | campaign | posts | slots | pushed | max in 60 s (pushed group) "
        "| max in 1 s (bot) | max in 1 s (private chat) "
        "| max in 60 s (group) | duplicates | restarted | longest gap s | s |"
    )
    print(run.row())

    # uvicorn re-raises SIGTERM once its graceful shutdown is done, hence -15.
    assert set(codes) <= {0, -signal.SIGTERM}, codes
    for _, _, log in specs:
        assert "worker_stopped" in log.read_text(), log  # stopped cleanly, not killed
    assert {r.status for r in requests} == {200}, Counter(r.status for r in requests)
    assert {d.state for d in rows} == {State.SENT}, Counter(d.state for d in rows)
    # Telegram's own limits (its numbers, not herald's settings) at the server's clock,
    # for every process together.
    telegram = Limits()
    assert run.bot_window <= telegram.per_bot_per_second, run
    assert run.private_window <= telegram.per_private_chat_per_second, run
    assert run.group_window <= telegram.per_group_per_minute, run
    # The pushed group got every message, none refused (the 200s above), and never more
    # than Telegram takes from it in a minute.
    assert run.pushed == PUSHED > telegram.per_group_per_minute, run
    assert run.pushed_window <= telegram.per_group_per_minute, run
    # Each campaign message reached its chat once; each slot, each group once.
    assert run.campaign == expected and set(campaign_texts.values()) == {1}, run
    assert len(posted) >= 3 and len({r.slot_at for r in runs}) == len(runs), runs
    assert all(sorted(p.chat_id for p in r.posts) == GROUPS for r in posted), posted
    assert {p.status for r in posted for p in r.posts} == {"sent"}, posted
    assert [len(by_chat.get(chat, [])) for chat in GROUPS] == [len(posted)] * len(GROUPS), run
    # No delivery sent twice: the server's messages are the recorded ones, one each.
    assert at_server == recorded and run.duplicates == 0, (at_server - recorded, run)
