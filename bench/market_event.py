"""A market event end to end: 10,000 alerts on three channels while a campaign is sending.

Run from the repository root::

    .venv/bin/python bench/market_event.py [--scale 1.0] [--backends sqlite,postgresql]
        [--modes single,batch] [--paid both|on|off] [--connections 32]
        [--no-baseline] [--no-bare] [--webhook [--webhook-limits shipped|fast]]

    .venv/bin/python bench/market_event.py --scale 0.1     # a quick check (~5 min)

``--webhook``: each (database, paid) combination runs twice, back to back on fresh
databases: without a webhook, then with an endpoint subscribed to ``*`` registered
before the campaign starts, pointing at a loopback receiver in a process of its own
(bench/webhooks.py's, answering 200 to everything), so every event of the run (each
delivery sent, each notification delivered, the campaign's end...) is fanned out and
posted while the alerts are measured. A last table puts the two side by side per mode
and channel: alert latency p50 / p99 (recorded), first accept to last delivery, the
ingest rate, and the webhook requests received (issue 17: the alert figures should not
get worse with the subscriber). The endpoint has the shipped per-endpoint limits (4 in
flight, 20/s), so events wait in the queue during a burst as they would in production;
``--webhook-limits fast`` gives it the channel's own (64, 200/s) to show the webhook's
cost at its own pace. Each run is one sample on whatever machine it gets:
read a difference against the load column, and repeat before trusting a small one.

For each database (SQLite file, or a throwaway PostgreSQL from tests/support/postgres.py)
and each paid setting (``HERALD_TELEGRAM__PAID_BROADCAST='["transactional"]'`` or unset),
one ``herald serve`` (worker sending in the same process, shipped defaults otherwise:
Telegram 30/s, email 10/s, push 100/s) runs on a fresh, migrated database holding

- 10,000 alert recipients (x scale), each with its own variables: 50% Telegram chats,
  30% email addresses, 20% push subscriptions;
- 50,000 campaign recipients (x scale), Telegram chats of their own.

Every peer is a process of its own on loopback: the fake Bot API
(tests/support/fake_telegram/, Telegram's limits enforced: 30/s free, 1,000/s with
``allow_paid_broadcast``, 1/s per private chat, 429 past them), aiosmtpd
(tests/support/smtp.py) and the push service (tests/support/push_service.py), the last
two started as bench/channels_throughput.py does. The campaign (``POST
/api/v1/campaigns``, the campaign lane) is started first; once it sends, the alerts come:

(a) ``single``: each alert one ``POST /api/v1/notifications``, exactly once, over exactly
    ``--connections`` keep-alive connections (aiohttp);
(b) ``batch``: ``POST /api/v1/notifications/batch`` of 1,000 items, 4 requests at a time.

The modes run one after the other on the same herald process (the campaign still in
progress); a mode ends when every alert's delivery is finished. Figures, from the
client's clock and the database (``notifications.created_at``, ``deliveries.finished_at``):
time to accept all; per channel, the time from the first accept to the last delivery
next to the channel's physical limit (recipients / rate: Telegram 30/s free or 1,000/s
paid, email's and push's shipped limits 10/s and 100/s); alert latency p50/p99 per
channel (created_at to finished_at, i.e. when the worker recorded the send; for Telegram
also to the moment the fake Bot API received the accepted message, wall clock of the
same machine); the 429s the fake Bot API answered; the campaign's
sends/s during the event (first accept to the last Telegram alert delivered) and in the
10 s before it.

Side by side in the same run: a bare FastAPI ``POST`` (bench/ingest.py ``--bare``)
driven by the same single-request client with the same bodies (the ingest ratio), and
python-telegram-bot's ``AIORateLimiter(max_retries=3)`` sending the same Telegram alerts
(``allow_paid_broadcast`` when paid) to a fresh fake Bot API, alone (no campaign),
64 in flight.

A full-size run takes ~45 min: the shipped email limit (10/s) makes each mode last
3,000 / 10 = 300 s. Progress goes to stderr; the machine and Markdown tables go to
stdout. A benchmark, not a test: it asserts nothing about the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import aiohttp  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from tests.support.alerts import SL_VARS  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.processes import wait_ready  # noqa: E402

import ingest  # noqa: E402
from channels_throughput import Peer, push_peer, smtp_peer, start_peer  # noqa: E402
from clicks import HERALD, start_bare, stop  # noqa: E402
from herald.channels.push import vapid  # noqa: E402
from herald.config import normalize_database_url  # noqa: E402
from herald.db import Database  # noqa: E402
from herald.db.tables import deliveries, notifications, push_subscriptions, recipients  # noqa: E402
from herald.messaging.templates import TemplateRegistry  # noqa: E402
from queue_throughput import herald_revision, machine_info, note  # noqa: E402
from telegram_send import TOKEN  # noqa: E402
from webhooks import receiver  # noqa: E402

TEMPLATE = "position_sl_failed"
ALERTS = 10_000
CAMPAIGN = 50_000
SHARES = {"telegram": 0.5, "email": 0.3, "push": 0.2}
LIMITS = {"telegram": 30.0, "email": 10.0, "push": 100.0}  # shipped / Telegram free, per s
PAID_RATE = 1_000.0
ALERT_CHAT = 100_000  # alert chats: 100001...; campaign chats: 10000001...
CAMPAIGN_CHAT = 10_000_000
PTB_IN_FLIGHT = 64

# The fake Bot API's process: prints its URL, then answers each stdin line with the
# sendMessage statuses so far (alert or campaign chat), until "stop" or EOF.
SERVER = """
import asyncio, json, sys, time
from collections import Counter
from tests.support.fake_telegram import FakeTelegram, Limits

async def main():
    tg = FakeTelegram(token=sys.argv[1], enforce_limits=True, limits=Limits(30, 1, 20))
    await tg.start()
    print(tg.url, flush=True)
    wall = time.time() - time.monotonic()  # the server's monotonic clock to wall time
    loop = asyncio.get_running_loop()
    while (line := await loop.run_in_executor(None, sys.stdin.readline)).strip() == "stats":
        out, accepted = Counter(), {}
        for r in tg.requests:
            if r.method.lower() != "sendmessage":
                continue
            kind = "alert" if int(r.chat_id) < int(sys.argv[2]) else "campaign"
            out[f"{kind} {r.status}"] += 1
            if r.status == 200 and r.params.get("allow_paid_broadcast") in (True, "true", "True"):
                out[f"{kind} paid"] += 1
            if r.status == 200 and kind == "alert":
                accepted.setdefault(r.chat_id, []).append(r.at + wall)
        out["violations"] = tg.rate_limit_violations
        print(json.dumps({"counts": out, "accepted": accepted}), flush=True)
    await tg.stop()

asyncio.run(main())
"""


class FakeBotApi:
    """The fake Bot API in a process of its own, limits enforced."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, TOKEN, str(CAMPAIGN_CHAT)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.url = self.proc.stdout.readline().strip()

    def stats(self) -> dict[str, Any]:
        """{"counts": sendMessage statuses by alert/campaign chat, "accepted": the wall
        times the server received each alert chat's accepted messages}."""
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.proc.stdin.write("stats\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("stop\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


# -- the workload ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    alerts: int
    campaign: int

    def channel_of(self, i: int) -> str:
        """Alert recipient a{i} (1-based): Telegram, then email, then push."""
        if i <= round(self.alerts * SHARES["telegram"]):
            return "telegram"
        if i <= round(self.alerts * (SHARES["telegram"] + SHARES["email"])):
            return "email"
        return "push"

    def count(self, channel: str) -> int:
        return sum(1 for i in range(1, self.alerts + 1) if self.channel_of(i) == channel)

    def variables(self, i: int, mode: str) -> dict[str, Any]:
        """Each recipient's own variables."""
        return {
            **SL_VARS,
            "position_id": f"{mode}-{i:06d}",
            "volume": f"{0.01 * (1 + i % 100):.2f}",
            "entry_price": f"{1.08 + (i % 500) / 100_000:.5f}",
            "side": "buy" if i % 2 else "sell",
        }

    def singles(self, mode: str) -> list[bytes]:
        return [
            json.dumps(
                {"recipients": [f"a{i}"], "template": TEMPLATE, "vars": self.variables(i, mode)}
            ).encode()
            for i in range(1, self.alerts + 1)
        ]

    def batches(self, mode: str) -> list[bytes]:
        items = [
            {"recipient": f"a{i}", "template": TEMPLATE, "vars": self.variables(i, mode)}
            for i in range(1, self.alerts + 1)
        ]
        size = ingest.BATCH_ITEMS
        return [
            json.dumps({"items": items[k : k + size]}).encode() for k in range(0, len(items), size)
        ]


async def seed(url: str, w: Workload, subs: list[dict[str, Any]]) -> None:
    """The alert recipients (Telegram / email / push) and the campaign's Telegram chats."""
    db = Database(normalize_database_url(url))
    at = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for i in range(1, w.alerts + 1):
        channel = w.channel_of(i)
        rows.append(
            {
                "external_id": f"a{i}",
                "telegram_chat_id": str(ALERT_CHAT + i) if channel == "telegram" else None,
                "email": f"a{i}@example.com" if channel == "email" else None,
                "channels": [channel],
                "opted_out": [],
                "created_at": at,
                "updated_at": at,
            }
        )
    rows += [
        {
            "external_id": f"c{i}",
            "telegram_chat_id": str(CAMPAIGN_CHAT + i),
            "email": None,
            "channels": ["telegram"],
            "opted_out": [],
            "created_at": at,
            "updated_at": at,
        }
        for i in range(1, w.campaign + 1)
    ]
    async with db.write() as conn:
        for k in range(0, len(rows), 5_000):
            await conn.execute(insert(recipients), rows[k : k + 5_000])
    push_ids = [f"a{i}" for i in range(1, w.alerts + 1) if w.channel_of(i) == "push"]
    async with db.read() as conn:
        ids = dict((await conn.execute(select(recipients.c.external_id, recipients.c.id))).all())
    sub_rows = [
        {
            "recipient_id": ids[ext],
            "endpoint": sub["endpoint"],
            "p256dh": sub["keys"]["p256dh"],
            "auth": sub["keys"]["auth"],
            "created_at": at,
        }
        for ext, sub in zip(push_ids, subs, strict=False)
    ]
    if sub_rows:
        async with db.write() as conn:
            await conn.execute(insert(push_subscriptions), sub_rows)
    await db.dispose()


# -- the clients ----------------------------------------------------------------------------


@dataclass
class Ingest:
    """One load of requests: wall clock of the first and last 2xx, HTTP latencies."""

    requests: int = 0
    accepted: int = 0  # notifications (items for a batch)
    non_2xx: int = 0
    started: float = 0.0  # time.time() of the first request sent
    first_ok: float = math.inf
    last_ok: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.last_ok - self.started

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds > 0 else 0.0


async def post_all(
    url: str, key: str, bodies: list[bytes], connections: int, batch: bool = False
) -> Ingest:
    """Each body POSTed once, ``connections`` requests in flight on as many connections."""
    out = Ingest()
    pending = list(reversed(bodies))
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as s:

        async def lane() -> None:
            while pending:
                body = pending.pop()
                t0 = time.perf_counter()
                async with s.post(url, data=body) as r:
                    got = await r.read()
                    ok = 200 <= r.status < 300
                now = time.time()
                out.latencies.append(time.perf_counter() - t0)
                out.requests += 1
                if not ok:
                    out.non_2xx += 1
                    continue
                out.first_ok = min(out.first_ok, now)
                out.last_ok = max(out.last_ok, now)
                if batch:
                    out.accepted += sum(1 for x in json.loads(got)["results"] if x.get("id"))
                else:
                    out.accepted += 1

        out.started = time.time()
        await asyncio.gather(*(lane() for _ in range(connections)))
    return out


# -- measuring in the database ----------------------------------------------------------------


def epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


async def last_notification(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.max(notifications.c.id))) or 0)


async def finished_alerts(db: Database, after: int) -> int:
    async with db.read() as conn:
        n = await conn.scalar(
            select(func.count())
            .select_from(deliveries)
            .where(deliveries.c.notification_id > after, deliveries.c.finished_at.is_not(None))
        )
    return int(n or 0)


async def wait_drained(db: Database, after: int, expected: int, deadline: float) -> bool:
    last_note = time.monotonic()
    while (done := await finished_alerts(db, after)) < expected:
        if time.monotonic() > deadline:
            return False
        if time.monotonic() - last_note > 15:
            note(f"    {done:,} of {expected:,} alert deliveries finished")
            last_note = time.monotonic()
        await asyncio.sleep(1.0)
    return True


Row = tuple[str, str, float, float | None, str]


async def alert_rows(db: Database, after: int) -> list[Row]:
    """(channel, state, created_at, finished_at, address) of the alerts' deliveries."""
    q = (
        select(
            deliveries.c.channel,
            deliveries.c.state,
            notifications.c.created_at,
            deliveries.c.finished_at,
            deliveries.c.recipient,
        )
        .select_from(
            deliveries.join(notifications, deliveries.c.notification_id == notifications.c.id)
        )
        .where(notifications.c.id > after)
    )
    async with db.read() as conn:
        rows = (await conn.execute(q)).all()
    return [(c, s, epoch(a), epoch(f) if f else None, r) for c, s, a, f, r in rows]


async def campaign_sent_times(db: Database) -> list[float]:
    q = select(deliveries.c.finished_at).where(
        deliveries.c.campaign.is_not(None),
        deliveries.c.state == "sent",
        deliveries.c.finished_at.is_not(None),
    )
    async with db.read() as conn:
        return sorted(epoch(r[0]) for r in (await conn.execute(q)).all())


def pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def rate_between(times: list[float], start: float, end: float) -> float:
    if end <= start:
        return math.nan
    return sum(1 for t in times if start <= t <= end) / (end - start)


# -- one herald process per (backend, paid) ---------------------------------------------------


@dataclass
class ModeResult:
    mode: str
    ingest: Ingest
    stored: int
    drained: bool
    rows: list[Row]
    tg_before: dict[str, Any]
    tg_after: dict[str, Any]
    load: tuple[float, float, float]


@dataclass
class ComboResult:
    backend: str
    paid: bool
    workload: Workload
    bare: Ingest | None = None
    modes: list[ModeResult] = field(default_factory=list)
    campaign_times: list[float] = field(default_factory=list)
    campaign_queued: int = 0
    load_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    herald_cpu: float = 0.0
    notes: list[str] = field(default_factory=list)
    webhook: bool = False  # an endpoint subscribed to * (--webhook's second run)
    hook_requests: int = 0  # what the receiver got during this run

    @property
    def name(self) -> str:
        return f"{self.backend} + webhook *" if self.webhook else self.backend


async def run_combo(
    args: argparse.Namespace,
    backend: str,
    paid: bool,
    w: Workload,
    smtp: Peer,
    push: Peer,
    keys: tuple[str, str],
    tmp: Path,
    hooked: bool = False,
) -> ComboResult:
    res = ComboResult(backend, paid, w, load_start=os.getloadavg(), webhook=hooked)
    label = f"{res.name}, paid {'on' if paid else 'off'}"
    hook = args.hook if hooked else None
    pg: PostgresServer | None = None
    work = tmp / f"{backend}-{int(paid)}-{int(hooked)}"
    work.mkdir()
    if backend == "postgresql":
        pg = PostgresServer().start()
        url = pg.create_database("bench_market")
    else:
        url = f"sqlite:///{work / 'herald.db'}"
    tg = FakeBotApi()
    herald_port, bare_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update(
        HERALD_ENV="dev",
        HERALD_SECRET_KEY=ingest.SECRET,
        HERALD_LOG_LEVEL="WARNING",
        HERALD_DATABASE_URL=url,
        HERALD_PORT=str(herald_port),
        HERALD_TELEGRAM_BOT_TOKEN=TOKEN,
        HERALD_TELEGRAM_API_URL=tg.url,
        HERALD_TELEGRAM_UPDATES="off",
        HERALD_SMTP_HOST="127.0.0.1",
        HERALD_SMTP_PORT=str(smtp.hello),
        HERALD_SMTP_SECURITY="none",
        HERALD_EMAIL_FROM="herald <herald@example.com>",
        HERALD_VAPID_PRIVATE_KEY=keys[0],
        HERALD_VAPID_PUBLIC_KEY=keys[1],
        HERALD_VAPID_SUBJECT="mailto:bench@example.com",
        HERALD_PUSH_ALLOW_HTTP_ENDPOINTS="true",
    )
    if paid:
        env["HERALD_TELEGRAM__PAID_BROADCAST"] = '["transactional"]'
    if hook is not None:
        env["HERALD_WEBHOOKS__ALLOW_PRIVATE_NETWORKS"] = "true"
        if args.webhook_limits == "fast":
            # --webhook-limits fast: the channel's own limits for the one endpoint, as
            # before per-endpoint limits, so the webhook's cost shows at its own pace.
            env["HERALD_WEBHOOKS__ENDPOINT_CONCURRENCY"] = "64"
            env["HERALD_WEBHOOKS__ENDPOINT_RATE_PER_SECOND"] = "200"
            env["HERALD_WEBHOOKS__ENDPOINT_BURST"] = "200"
    note(f"[{label}] migrate, seed {w.alerts:,} alert + {w.campaign:,} campaign recipients")
    await asyncio.to_thread(
        subprocess.run, [HERALD, "migrate"], env=env, cwd=work, check=True, capture_output=True
    )
    await seed(url, w, push.hello)
    key = await asyncio.to_thread(ingest.create_key, env, work)
    herald = subprocess.Popen([HERALD, "serve"], env=env, cwd=work)  # noqa: ASYNC220
    bare = start_bare(work, bare_port, ingest.__file__)
    db = Database(normalize_database_url(url))
    base = f"http://127.0.0.1:{herald_port}"
    try:
        await wait_ready(herald_port)
        await wait_ready(bare_port)
        cpu0 = ingest.cpu_seconds(herald.pid)
        note(f"[{label}] campaign of {w.campaign:,} Telegram chats")
        audience = [f"c{i}" for i in range(1, w.campaign + 1)]
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
            if hook is not None:
                endpoint = {"url": f"http://127.0.0.1:{hook.hello}/hook", "events": ["*"]}
                async with s.post(f"{base}/api/v1/webhooks", json=endpoint) as r:
                    r.raise_for_status()
                hooks_before = hook.count()
                note(f"[{label}] a webhook subscribed to * posts to port {hook.hello}")
            body = {"name": "weekly", "template": TEMPLATE, "vars": SL_VARS}
            body |= {"channel": "telegram", "audience": audience}
            async with s.post(f"{base}/api/v1/campaigns", json=body) as r:
                r.raise_for_status()
                res.campaign_queued = int((await r.json())["queued"])
        await asyncio.sleep(12)  # the campaign in full flow: 10 s of it before the event
        if args.bare:
            note(f"[{label}] bare FastAPI, {w.alerts:,} single POSTs")
            bodies = w.singles("bare")
            res.bare = await post_all(
                f"http://127.0.0.1:{bare_port}/api/v1/notifications", key, bodies, args.connections
            )
        for mode in args.modes:
            after = await last_notification(db)
            tg_before = await asyncio.to_thread(tg.stats)
            load = os.getloadavg()
            note(f"[{label}] {mode}: {w.alerts:,} alerts (load {load[0]:.2f})")
            if mode == "single":
                got = await post_all(
                    f"{base}/api/v1/notifications", key, w.singles(mode), args.connections
                )
            else:
                got = await post_all(
                    f"{base}/api/v1/notifications/batch",
                    key,
                    w.batches(mode),
                    ingest.BATCH_PARALLEL,
                    batch=True,
                )
            note(
                f"    accepted {got.accepted:,} in {got.seconds:.2f} s "
                f"({got.rate:,.0f}/s, {got.non_2xx} non-2xx); waiting for the deliveries"
            )
            slowest = max(w.count(c) / LIMITS[c] for c in SHARES)
            deadline = time.monotonic() + 1.5 * slowest + 120
            drained = await wait_drained(db, after, got.accepted, deadline)
            rows = await alert_rows(db, after)
            async with db.read() as conn:
                stored = int(
                    await conn.scalar(
                        select(func.count())
                        .select_from(notifications)
                        .where(notifications.c.id > after)
                    )
                    or 0
                )
            tg_after = await asyncio.to_thread(tg.stats)
            res.modes.append(
                ModeResult(mode, got, stored, drained, rows, tg_before, tg_after, load)
            )
            summary = per_channel(res, res.modes[-1])
            for c, f in summary.items():
                note(
                    f"    {c}: {f['sent']:,}/{f['expected']:,} sent; last {f['span']:.1f} s "
                    f"after the first accept (Bot API {f['api_span']:.1f} s; limit "
                    f"{f['limit_s']:.1f} s); p50/p99 {f['p50']:.2f}/{f['p99']:.2f} s "
                    f"(Bot API {f['api_p50']:.2f}/{f['api_p99']:.2f} s)"
                )
        res.herald_cpu = ingest.cpu_seconds(herald.pid) - cpu0
        if hook is not None:
            res.hook_requests = hook.count() - hooks_before
            note(f"[{label}] the webhook receiver got {res.hook_requests:,} requests")
        res.campaign_times = await campaign_sent_times(db)
    finally:
        stop(herald, bare)
        await db.dispose()
        tg.close()
        if pg is not None:
            pg.cleanup()
    return res


def limit_for(channel: str, paid: bool) -> tuple[float, str]:
    if channel == "telegram":
        return (PAID_RATE, "1,000/s paid") if paid else (LIMITS[channel], "30/s free")
    return LIMITS[channel], f"{LIMITS[channel]:g}/s shipped"


def per_channel(res: ComboResult, m: ModeResult) -> dict[str, dict[str, Any]]:
    """Per channel: counts, first accept to last delivery, latencies. Recorded: from
    deliveries.finished_at; Telegram also as the fake Bot API received the messages."""
    accepted: dict[str, list[float]] = m.tg_after["accepted"]
    out = {}
    for c in SHARES:
        rows = [r for r in m.rows if r[0] == c]
        sent = [r for r in rows if r[1] == "sent" and r[3] is not None]
        lat = [r[3] - r[2] for r in sent]  # type: ignore[operator]
        last = max((r[3] for r in sent), default=math.nan)  # type: ignore[type-var]
        api: list[float] = []
        api_last = math.nan
        if c == "telegram":
            for r in sent:
                got = [t for t in accepted.get(r[4], []) if t >= m.ingest.started]
                if got:
                    api.append(got[0] - r[2])
                    api_last = got[0] if math.isnan(api_last) else max(api_last, got[0])
        rate, label = limit_for(c, res.paid)
        out[c] = {
            "expected": res.workload.count(c),
            "sent": len(sent),
            "other": len(rows) - len(sent),
            "span": last - m.ingest.first_ok,
            "api_span": api_last - m.ingest.first_ok,
            "limit_s": res.workload.count(c) / rate,
            "limit": label,
            "p50": pct(lat, 50),
            "p99": pct(lat, 99),
            "api_p50": pct(api, 50),
            "api_p99": pct(api, 99),
            "api_n": len(api),
            "last": last,
        }
    return out


# -- the baseline: python-telegram-bot's AIORateLimiter --------------------------------------


@dataclass
class PtbResult:
    paid: bool
    sent: int
    failed: dict[str, int]
    seconds: float
    latencies: list[float]
    stats: dict[str, Any]


async def run_ptb(w: Workload, paid: bool) -> PtbResult:
    """The same Telegram alerts through ExtBot + AIORateLimiter(max_retries=3), all handed
    over at once, PTB_IN_FLIGHT at a time, to a fresh fake Bot API (no campaign)."""
    import logging

    from telegram.error import TelegramError
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    tg = FakeBotApi()
    registry = TemplateRegistry(None)
    n = w.count("telegram")
    texts = [
        registry.render_payload(TEMPLATE, "telegram", w.variables(i, "ptb"), None)["text"]
        for i in range(1, n + 1)
    ]
    bot = ExtBot(
        TOKEN,
        base_url=f"{tg.url}/bot",
        base_file_url=f"{tg.url}/file/bot",
        rate_limiter=AIORateLimiter(max_retries=3),
        request=HTTPXRequest(connection_pool_size=PTB_IN_FLIGHT),
    )
    failed: dict[str, int] = {}
    latencies: list[float] = []
    try:
        await bot.initialize()
        slots = asyncio.Semaphore(PTB_IN_FLIGHT)
        started = time.monotonic()

        async def send(i: int) -> None:
            async with slots:
                try:
                    await bot.send_message(
                        chat_id=ALERT_CHAT + i,
                        text=texts[i - 1],
                        parse_mode="MarkdownV2",
                        allow_paid_broadcast=True if paid else None,
                    )
                    latencies.append(time.monotonic() - started)
                except TelegramError as exc:
                    failed[type(exc).__name__] = failed.get(type(exc).__name__, 0) + 1

        await asyncio.gather(*(send(i) for i in range(1, n + 1)))
        seconds = time.monotonic() - started
    finally:
        await bot.shutdown()
        stats = await asyncio.to_thread(tg.stats)
        tg.close()
    return PtbResult(paid, len(latencies), failed, seconds, latencies, stats)


# -- report ---------------------------------------------------------------------------------


def f_s(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:,.1f} s"


def f_ms(x: float) -> str:
    return "-" if math.isnan(x) else f"{x * 1000:,.0f} ms"


def report(
    args: argparse.Namespace,
    combos: list[ComboResult],
    ptb: list[PtbResult],
    w: Workload,
    revision: str,
) -> None:
    print(f"## Market event (bench/market_event.py), herald {revision} (at the start)\n")
    print("\n".join(machine_info(None)))
    loads = [c.load_start for c in combos] + [m.load for c in combos for m in c.modes]
    print(
        f"- Load average (1 min) at each phase's start: "
        f"{', '.join(f'{x[0]:.2f}' for x in loads)} (2 cores shared with other work)"
    )
    print(
        f"\n`.venv/bin/python bench/market_event.py {' '.join(sys.argv[1:])}`: "
        f"{w.alerts:,} alerts ({w.count('telegram'):,} Telegram, {w.count('email'):,} email, "
        f"{w.count('push'):,} push), campaign of {w.campaign:,} Telegram chats"
        + ("" if args.scale == 1 else f" (**scale {args.scale:g}** of the issue's size)")
        + f"; single requests over {args.connections} connections; batches of "
        f"{ingest.BATCH_ITEMS:,}, {ingest.BATCH_PARALLEL} at a time\n"
    )
    print("### Ingest\n")
    print(
        "| backend | paid | endpoint | accepted | time to accept all | accepted/s "
        "| HTTP p50 / p99 | non-2xx | stored | herald / bare |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    for c in combos:
        paid = "on" if c.paid else "off"
        if c.bare:
            b = c.bare
            print(
                f"| {c.name} | {paid} | bare FastAPI POST | {b.accepted:,} | {f_s(b.seconds)} "
                f"| {b.rate:,.0f} | {f_ms(pct(b.latencies, 50))} / {f_ms(pct(b.latencies, 99))} "
                f"| {b.non_2xx} | - | - |"
            )
        for m in c.modes:
            g = m.ingest
            ratio = f"{g.rate / c.bare.rate:.0%}" if c.bare and m.mode == "single" else "-"
            name = "POST /notifications" if m.mode == "single" else "POST /notifications/batch"
            print(
                f"| {c.name} | {paid} | {name} | {g.accepted:,} | {f_s(g.seconds)} "
                f"| {g.rate:,.0f} | {f_ms(pct(g.latencies, 50))} / {f_ms(pct(g.latencies, 99))} "
                f"| {g.non_2xx} | {m.stored:,} | {ratio} |"
            )
    print("\n### Delivery (first accept to last delivery, per channel)\n")
    print(
        "| backend | paid | mode | channel | sent / expected | first accept to last delivery "
        "(recorded / at the Bot API) | physical limit | alert latency p50 / p99 (recorded) "
        "| at the Bot API p50 / p99 |"
    )
    print("| --- | --- | --- | --- | ---: | ---: | --- | --- | --- |")
    for c in combos:
        for m in c.modes:
            for ch, f in per_channel(c, m).items():
                other = f" (+{f['other']} not sent)" if f["other"] else ""
                print(
                    f"| {c.name} | {'on' if c.paid else 'off'} | {m.mode} | {ch} "
                    f"| {f['sent']:,} / {f['expected']:,}{other} "
                    f"| {f_s(f['span'])} / {f_s(f['api_span'])} "
                    f"| {f_s(f['limit_s'])} ({f['limit']}) | {f_ms(f['p50'])} / {f_ms(f['p99'])} "
                    f"| {f_ms(f['api_p50'])} / {f_ms(f['api_p99'])} |"
                )
    print("\n### Telegram: 429s and the campaign during the event\n")
    print(
        "| backend | paid | mode | 429s (alerts / campaign) | paid sends | alert msgs accepted "
        "| campaign sends/s: 10 s before / during the event | event window |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | --- | ---: |")
    for c in combos:
        for m in c.modes:
            after, before = m.tg_after["counts"], m.tg_before["counts"]
            d = {k: after.get(k, 0) - before.get(k, 0) for k in after}
            tg = per_channel(c, m)["telegram"]
            start, end = m.ingest.first_ok, tg["last"]
            before = rate_between(c.campaign_times, m.ingest.started - 10, m.ingest.started)
            during = rate_between(c.campaign_times, start, end)
            print(
                f"| {c.name} | {'on' if c.paid else 'off'} | {m.mode} "
                f"| {d.get('alert 429', 0)} / {d.get('campaign 429', 0)} "
                f"| {d.get('alert paid', 0) + d.get('campaign paid', 0):,} "
                f"| {d.get('alert 200', 0):,} | {before:.1f} / {during:.1f} | {f_s(end - start)} |"
            )
    for c in combos:
        total = len(c.campaign_times)
        print(
            f"\n- {c.name}, paid {'on' if c.paid else 'off'}: campaign queued "
            f"{c.campaign_queued:,}, sent {total:,} by the end; herald CPU "
            f"{c.herald_cpu:,.0f} s over the run"
            + "".join(f"; mode {m.mode} **not drained**" for m in c.modes if not m.drained)
        )
    if args.webhook:
        webhook_table(combos)
    if ptb:
        print("\n### python-telegram-bot AIORateLimiter(max_retries=3), the same Telegram alerts\n")
        print(
            "| paid | sent / alerts | first hand-over to last accepted | physical limit "
            "| latency p50 / p99 | 429s | exceptions |"
        )
        print("| --- | ---: | ---: | --- | --- | ---: | --- |")
        n = w.count("telegram")
        for p in ptb:
            rate, label = limit_for("telegram", p.paid)
            fails = ", ".join(f"{v} {k}" for k, v in p.failed.items()) or "none"
            print(
                f"| {'on' if p.paid else 'off'} | {p.sent:,} / {n:,} "
                f"| {f_s(max(p.latencies, default=math.nan))} | {f_s(n / rate)} ({label}) "
                f"| {f_ms(pct(p.latencies, 50))} / {f_ms(pct(p.latencies, 99))} "
                f"| {p.stats['counts'].get('alert 429', 0)} | {fails} |"
            )
        print(
            "\nAIORateLimiter: all alerts handed over at once, "
            f"{PTB_IN_FLIGHT} in flight, alone (no campaign); latency from the hand-over to "
            "the accepted answer. herald's latency: notifications.created_at to "
            "deliveries.finished_at."
        )


def webhook_table(combos: list[ComboResult]) -> None:
    """Each run without a webhook beside the run with one, per mode and channel."""
    print("\n### Alerts without / with a webhook subscribed to `*` (back to back)\n")
    print(
        "| backend | paid | mode | channel | alert p50 (recorded) | alert p99 (recorded) "
        "| first accept to last delivery | ingest accepted/s | load at the mode's start "
        "| webhook requests |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | ---: |")
    for a in combos:
        b = next(
            (c for c in combos if c.webhook and (c.backend, c.paid) == (a.backend, a.paid)),
            None,
        )
        if a.webhook or b is None:
            continue
        for ma, mb in zip(a.modes, b.modes, strict=True):
            fa, fb = per_channel(a, ma), per_channel(b, mb)
            for ch in SHARES:
                x, y = fa[ch], fb[ch]
                print(
                    f"| {a.backend} | {'on' if a.paid else 'off'} | {ma.mode} | {ch} "
                    f"| {f_ms(x['p50'])} / {f_ms(y['p50'])} | {f_ms(x['p99'])} / {f_ms(y['p99'])} "
                    f"| {f_s(x['span'])} / {f_s(y['span'])} "
                    f"| {ma.ingest.rate:,.0f} / {mb.ingest.rate:,.0f} "
                    f"| {ma.load[0]:.2f} / {mb.load[0]:.2f} | {b.hook_requests:,} |"
                )


async def main_async(args: argparse.Namespace) -> None:
    w = Workload(round(ALERTS * args.scale), round(CAMPAIGN * args.scale))
    revision = herald_revision()  # others may commit while it runs
    keys = vapid.generate_keypair()
    tmp = Path(tempfile.mkdtemp(prefix="herald-bench-market-"))
    smtp = start_peer(smtp_peer)
    push = start_peer(push_peer, keys[1], w.count("push"))
    args.hook = start_peer(receiver) if args.webhook else None
    combos: list[ComboResult] = []
    ptb: list[PtbResult] = []
    started = time.monotonic()
    try:
        for backend in args.backends:
            for paid in args.paid:
                for hooked in (False, True) if args.webhook else (False,):
                    combos.append(
                        await run_combo(args, backend, paid, w, smtp, push, keys, tmp, hooked)
                    )
        if args.baseline:
            for paid in args.paid:
                note(f"[AIORateLimiter] {w.count('telegram'):,} alerts, paid {paid}")
                ptb.append(await run_ptb(w, paid))
    finally:
        smtp.stop()
        push.stop()
        if args.hook is not None:
            args.hook.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    note(f"done in {time.monotonic() - started:.0f} s")
    report(args, combos, ptb, w, revision)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--scale", type=float, default=1.0, help="of 10,000 alerts and 50,000 chats")
    p.add_argument("--backends", default="sqlite,postgresql", help="sqlite,postgresql")
    p.add_argument("--modes", default="single,batch", help="single,batch")
    p.add_argument("--paid", choices=("both", "on", "off"), default="both")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--no-baseline", dest="baseline", action="store_false", help="skip PTB")
    p.add_argument("--no-bare", dest="bare", action="store_false", help="skip bare FastAPI")
    p.add_argument(
        "--webhook",
        action="store_true",
        help="each combination without, then with, a webhook subscribed to *",
    )
    p.add_argument(
        "--webhook-limits",
        choices=("shipped", "fast"),
        default="shipped",
        help="the endpoint's limits: the shipped defaults (4 in flight, 20/s), or the "
        "webhook channel's own (64 in flight, 200/s: the webhook's cost at its own pace)",
    )
    args = p.parse_args()
    args.backends = [b for b in args.backends.split(",") if b]
    args.modes = [m for m in args.modes.split(",") if m]
    args.paid = {"both": [True, False], "on": [True], "off": [False]}[args.paid]
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
