"""Email and push throughput: a campaign through herald's real path, next to each peer's
own ceiling.

Run from the repository root::

    .venv/bin/python bench/channels_throughput.py [--quick] [--channels email,push]

For each channel it measures

(a) the peer alone: a minimal client blasting the loopback peer (aiosmtplib
    ``sendmail`` of the message herald writes for the template, over
    ``--smtp-connections`` connections, against aiosmtpd; aiohttp ``POST``s of
    pre-encrypted, pre-signed pushes over ``--concurrency`` connections against the
    push service): the peer's ceiling on this machine;
(b) herald: N recipients (default 2,000) inserted into a fresh, migrated database,
    then ``Campaigns.start`` (the built-in ``position_sl_failed`` template, rendered per
    recipient) while one ``Worker`` from ``Runtime.worker()`` runs with the real
    ``EmailSender`` / ``PushSender`` that ``build_senders`` makes from ``Settings``. The
    channel's rate limit is raised (``--rate``, default 1e6/s), its concurrency set by
    ``--concurrency`` (default 64; shipped 32) and email's connections by
    ``--smtp-connections`` (default 16; shipped 4); everything else is the shipped
    default (``--set FIELD=VALUE`` sets another of the channel's settings). Timed from
    ``Campaigns.start`` until the worker has recorded all N as sent (the fan-out
    overlaps the sends, as in production); also from the first send recorded to the
    last. herald's CPU per send is this process's CPU time (every thread, SQLite's
    included) over that window divided by N.

``--queue-first`` queues the campaign (measured alone) before the worker starts, so
rendering and sending show apart; ``--sender-alone`` also hands N pre-rendered
deliveries straight to the sender, ``--concurrency`` at a time: the sender's own share.

Each peer runs in a process of its own (``multiprocessing``, spawn), so it never shares
herald's event loop or GIL; its CPU time per message is reported too. The SMTP peer is
``tests/support/smtp.py`` (aiosmtpd), the push peer ``tests/support/push_service.py``
(verifies every VAPID JWT and decrypts every body). Each is a Python server on one
core, on a machine that may have only two, so herald cannot send faster than (a).

``--profile`` runs (b) under cProfile and prints the top functions to stderr (the rate
is then lower; profile and measure in separate runs). SQLite by default;
``--postgres`` starts a throwaway PostgreSQL server (``tests/support/postgres.py``).
Progress goes to stderr; machine details and a Markdown table go to stdout. It is a
benchmark, not a test: it asserts nothing about the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import multiprocessing as mp
import pstats
import resource
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import aiosmtplib
import http_ece  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import insert

from herald.channels.email.message import MessageWriter
from herald.channels.push import vapid
from herald.config import EmailChannel, Environment, PushChannel, Settings
from herald.db import migrate
from herald.db.tables import push_subscriptions, recipients
from herald.messaging.campaigns import CampaignRequest
from herald.messaging.templates import TemplateRegistry
from herald.queue import Delivery, Lane
from herald.runtime import Runtime
from queue_throughput import herald_revision, machine_info, note, quiet_logs

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: the peers and the alert's variables
from tests.support.alerts import SL_VARS  # noqa: E402

TARGET = 1_000.0  # sends/s per channel, or the peer's own ceiling if that is lower
TEMPLATE = "position_sl_failed"
SUBJECT = "mailto:bench@example.com"
DEADLINE = 120.0  # s: a run that has not finished by then is reported as such


def use_test_support() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the peers, each in a process of its own ---------------------------------------------


def smtp_peer(conn: Connection) -> None:
    """aiosmtpd (tests/support/smtp.py) until told to stop; answers "count"."""
    use_test_support()
    from tests.support.smtp import SMTPTestServer

    server = SMTPTestServer(security="none").start()
    conn.send(server.port)
    while (command := conn.recv()) != "stop":
        if command == "count":
            conn.send((len(server.messages), server.connections, cpu_seconds()))
    server.stop()


def push_peer(conn: Connection, application_server_key: str, subscriptions: int) -> None:
    """The strict push service (tests/support/push_service.py) until told to stop."""
    use_test_support()
    from tests.support.push_service import PushService

    async def serve() -> None:
        service = await PushService().start()
        subs = [service.subscribe(application_server_key) for _ in range(subscriptions)]
        # What the ceiling client needs to make valid pushes: endpoint and browser keys.
        conn.send([s.info() for s in subs])
        while (command := await asyncio.to_thread(conn.recv)) != "stop":
            if command == "count":
                conn.send((len(service.received), len(service.requests), cpu_seconds()))
        await service.close()

    asyncio.run(serve())


@dataclass
class Peer:
    process: Any
    conn: Connection
    hello: Any  # the SMTP port, or the push subscriptions

    def count(self) -> tuple[int, int, float]:
        self.conn.send("count")
        got: tuple[int, int, float] = self.conn.recv()
        return got

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


def start_peer(target: Callable[..., None], *args: Any) -> Peer:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    return Peer(process, parent, parent.recv())


# -- results ------------------------------------------------------------------------------


@dataclass
class Measured:
    channel: str
    side: str
    sends: int
    seconds: float
    client_cpu: float  # s of the sending process
    peer_cpu: float  # s of the peer process
    notes: list[str] = field(default_factory=list)
    send_phase: float | None = None  # s from the first recorded send to the last

    @property
    def rate(self) -> float:
        return self.sends / self.seconds if self.seconds else 0.0


# -- (a) the peer's ceiling -----------------------------------------------------------------


async def smtp_ceiling(port: int, peer: Peer, n: int, connections: int) -> Measured:
    message = build_email_bytes()
    before_peer = peer.count()
    per = [n // connections + (i < n % connections) for i in range(connections)]

    async def one(count: int, offset: int) -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        for i in range(count):
            await client.sendmail("bench@example.com", [f"user{offset + i}@example.com"], message)
        await client.quit()

    cpu, started = cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(one(c, sum(per[:i])) for i, c in enumerate(per)))
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    after_peer = peer.count()
    m = Measured("email", "peer alone (aiosmtplib client)", n, seconds, cpu, 0.0)
    m.peer_cpu = after_peer[2] - before_peer[2]
    m.notes.append(f"{connections} connections; peer received {after_peer[0] - before_peer[0]:,}")
    return m


def build_email_bytes() -> bytes:
    """The message herald writes for the bench's template, so both sides send the same."""
    from tests.support.deliveries import make_delivery

    payload = TemplateRegistry(None).render_payload(TEMPLATE, "email", SL_VARS, None)
    writer = MessageWriter("herald <herald@example.com>")
    return writer.render(make_delivery("email", "user@example.com", payload)).data


async def push_ceiling(
    peer: Peer, private_key: str, n: int, connections: int, subs: list[dict[str, Any]]
) -> Measured:
    key = vapid.load_private_key(private_key)
    endpoint0 = subs[0]["endpoint"]
    audience = vapid.audience_for(endpoint0)
    expires = int(time.time()) + 12 * 3600
    auth = vapid.authorization_header(key, audience=audience, subject=SUBJECT, expires_at=expires)
    plaintext = b'{"title":"Stop-loss failed","body":"EURUSD buy 0.10: Invalid stops"}'
    bodies = []
    for sub in subs[:n]:
        bodies.append(
            (
                sub["endpoint"],
                http_ece.encrypt(
                    plaintext,
                    private_key=ec.generate_private_key(ec.SECP256R1()),
                    dh=vapid.b64url_decode(sub["keys"]["p256dh"]),
                    auth_secret=vapid.b64url_decode(sub["keys"]["auth"]),
                    version="aes128gcm",
                ),
            )
        )
    headers = {
        "Authorization": auth,
        "TTL": "60",
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
    }
    before_peer = peer.count()
    statuses: dict[int, int] = {}
    queue = list(reversed(bodies))
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one() -> None:
            while queue:
                endpoint, body = queue.pop()
                async with session.post(endpoint, data=body, headers=headers) as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1

        cpu, started = cpu_seconds(), time.perf_counter()
        await asyncio.gather(*(one() for _ in range(connections)))
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    after_peer = peer.count()
    m = Measured("push", "peer alone (aiohttp client)", len(bodies), seconds, cpu, 0.0)
    m.peer_cpu = after_peer[2] - before_peer[2]
    m.notes.append(f"{connections} connections; statuses {statuses}")
    return m


# -- (b) herald ---------------------------------------------------------------------------


def settings_for(channel: str, db_url: str, args: argparse.Namespace, peer: Peer) -> Settings:
    options: dict[str, Any] = {}
    limits = {"rate_per_second": args.rate, "burst": int(min(args.rate, 1e9)), **args.extra}
    limits["concurrency"] = args.concurrency
    if channel == "email":
        limits.setdefault("connections", args.smtp_connections)
    if channel == "email":
        options.update(
            smtp_host="127.0.0.1",
            smtp_port=peer.hello,
            smtp_security="none",
            email_from="herald <herald@example.com>",
            email=EmailChannel(**limits),
        )
    else:
        options.update(
            vapid_private_key=args.vapid[0],
            vapid_public_key=args.vapid[1],
            vapid_subject=SUBJECT,
            push_allow_http_endpoints=True,
            push=PushChannel(**limits),
        )
    return Settings(
        _env_file=None,
        env=Environment.PROD,
        secret_key=secrets.token_hex(24),
        database_url=db_url,
        **options,
    )


async def insert_audience(runtime: Runtime, channel: str, n: int, subs: list[Any]) -> None:
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {
            "external_id": f"user-{i:06d}",
            "email": f"user{i}@example.com" if channel == "email" else None,
            "channels": [],
            "opted_out": [],
            "created_at": now,
            "updated_at": now,
        }
        for i in range(n)
    ]
    async with runtime.db.write() as conn:
        for start in range(0, n, 500):
            await conn.execute(insert(recipients), rows[start : start + 500])
        if channel == "push":
            sub_rows = [
                {
                    "recipient_id": i + 1,
                    "endpoint": sub["endpoint"],
                    "p256dh": sub["keys"]["p256dh"],
                    "auth": sub["keys"]["auth"],
                    "created_at": now,
                }
                for i, sub in enumerate(subs[:n])
            ]
            for start in range(0, n, 500):
                await conn.execute(insert(push_subscriptions), sub_rows[start : start + 500])


async def run_herald(
    channel: str, peer: Peer, args: argparse.Namespace, db_url: str
) -> tuple[list[Measured], str | None]:
    """One campaign; with ``--queue-first`` the fan-out runs (and is measured) alone
    before the worker starts, so the sends' own cost shows apart from rendering."""
    settings = settings_for(channel, db_url, args, peer)
    runtime = Runtime.build(settings)
    rows: list[Measured] = []
    profile_text = None
    try:
        await migrate.upgrade(runtime.db)
        subs = peer.hello if channel == "push" else []
        await insert_audience(runtime, channel, args.n, subs)
        request = CampaignRequest("bench", TEMPLATE, SL_VARS, channel, audience=None)
        # The worker's own counters, read in-process: polling the database would cost
        # herald CPU that is not a send's.
        sent = runtime.metrics.messages_sent.labels(channel)._value
        dead = runtime.metrics.messages_dead_lettered.labels(channel)._value
        profiler = cProfile.Profile() if args.profile else None
        if args.queue_first:
            cpu, started = cpu_seconds(), time.perf_counter()
            await runtime.campaigns.start(request)
            seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            side = "herald fan-out alone (no sends)"
            rows.append(Measured(channel, side, args.n, seconds, cpu, 0.0))
        stop = asyncio.Event()
        before_peer = peer.count()
        if profiler is not None:
            profiler.enable()
        cpu, started = cpu_seconds(), time.perf_counter()
        running = asyncio.create_task(runtime.worker().run(stop))
        fanned_out = None
        if not args.queue_first:
            await runtime.campaigns.start(request)
            fanned_out = time.perf_counter() - started
        first = None
        while sent.get() + dead.get() < args.n and time.perf_counter() - started < DEADLINE:
            if first is None and sent.get() > 0:
                first = time.perf_counter()
            await asyncio.sleep(0.005)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        if profiler is not None:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(35)
            profile_text = out.getvalue()
        after_peer = peer.count()
        stop.set()
        await running
        done = int(sent.get())
        side = "herald sends, campaign queued first" if args.queue_first else "herald campaign"
        m = Measured(channel, side, done, seconds, cpu, after_peer[2] - before_peer[2])
        m.send_phase = (started + seconds - first) if first else None
        m.notes.append(f"concurrency {args.concurrency}")
        if args.extra:
            m.notes.append(", ".join(f"{k}={v}" for k, v in args.extra.items()))
        if fanned_out is not None:
            m.notes.append(f"fan-out {fanned_out:.2f} s")
        m.notes.append(f"dead {int(dead.get())}")
        if channel == "email":
            m.notes.append(f"SMTP sessions opened {after_peer[1] - before_peer[1]}")
        else:
            m.notes.append(f"push requests {after_peer[1] - before_peer[1]:,}")
        if done < args.n:
            m.notes.append(f"only {done:,} of {args.n:,} sent within {DEADLINE:.0f} s")
        rows.append(m)
    finally:
        await runtime.close()
    return rows, profile_text


async def run_sender_alone(
    channel: str, peer: Peer, args: argparse.Namespace, db_url: str
) -> Measured:
    """The sender alone: N pre-rendered deliveries handed to ``Sender.send`` directly,
    ``--concurrency`` at a time, no queue or worker: the sender's share of a send."""
    from tests.support.deliveries import make_delivery

    runtime = Runtime.build(settings_for(channel, db_url, args, peer))
    sender = runtime.senders[channel]
    registry = TemplateRegistry(None)
    deliveries = []
    for i in range(args.n):
        payload = registry.render_payload(TEMPLATE, channel, SL_VARS, None)
        if channel == "push":
            payload = {"subscription": peer.hello[i], **payload}
        address = f"user{i}@example.com" if channel == "email" else peer.hello[i]["endpoint"]
        deliveries.append(make_delivery(channel, address, payload, lane=Lane.CAMPAIGN))
    slots = asyncio.Semaphore(args.concurrency)
    outcomes: dict[str, int] = {}

    async def send(delivery: Delivery) -> None:
        async with slots:
            outcome = await sender.send(delivery)
        outcomes[type(outcome).__name__] = outcomes.get(type(outcome).__name__, 0) + 1

    try:
        before_peer = peer.count()
        cpu, started = cpu_seconds(), time.perf_counter()
        await asyncio.gather(*(send(d) for d in deliveries))
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        after_peer = peer.count()
    finally:
        await runtime.close()
    m = Measured(channel, "herald sender alone (no queue)", args.n, seconds, cpu, 0.0)
    m.peer_cpu = after_peer[2] - before_peer[2]
    m.notes.append(f"concurrency {args.concurrency}; outcomes {outcomes}")
    return m


# -- report -------------------------------------------------------------------------------


def table(rows: list[Measured]) -> str:
    lines = [
        "| channel | side | sends | s | sends/s | send phase sends/s | "
        "sender CPU ms/send | peer CPU ms/msg | notes |",
        "| --- | --- | --: | --: | --: | --: | --: | --: | --- |",
    ]
    for m in rows:
        phase = f"{m.sends / m.send_phase:,.0f}" if m.send_phase else ""
        per = 1000 / m.sends if m.sends else 0.0
        lines.append(
            f"| {m.channel} | {m.side} | {m.sends:,} | {m.seconds:.2f} | {m.rate:,.0f} | {phase} | "
            f"{m.client_cpu * per:.3f} | {m.peer_cpu * per:.3f} | {'; '.join(m.notes)} |"
        )
    return "\n".join(lines)


def verdicts(rows: list[Measured]) -> list[str]:
    """Each channel's herald rate against the target, or its peer's ceiling if lower."""
    lines = []
    for channel in dict.fromkeys(m.channel for m in rows):
        peer = next((m for m in rows if m.channel == channel and m.side.startswith("peer")), None)
        sends = [
            m
            for m in rows
            if m.channel == channel and m.side.startswith(("herald campaign", "herald sends"))
        ]
        if not sends:
            continue
        goal = min(TARGET, peer.rate) if peer else TARGET
        by = f"{goal:,.0f}/s"
        if peer and peer.rate < TARGET:
            by = f"the peer's ceiling, {by}"
        got = sends[-1].rate
        lines.append(f"- {channel}: {got:,.0f} sends/s against {by}: {verdict(got >= goal)}")
    return lines


def verdict(ok: bool) -> str:
    return "met" if ok else "missed"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="500 recipients (a smoke run)")
    p.add_argument("-n", type=int, help="recipients per campaign; default 2,000")
    p.add_argument("--channels", default="email,push", help="comma-separated: email,push")
    p.add_argument("--rate", type=float, default=1e6, help="the channel's raised rate limit")
    p.add_argument(
        "--concurrency", type=int, default=64, help="the channel's sends in flight per worker"
    )
    p.add_argument(
        "--smtp-connections",
        type=int,
        default=16,
        help="HERALD_EMAIL__CONNECTIONS, and the connections of the SMTP ceiling's client",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="another field of the channel's settings, e.g. connections=16",
    )
    p.add_argument("--skip-ceiling", action="store_true", help="herald only")
    p.add_argument("--skip-herald", action="store_true", help="the peers' ceilings only")
    p.add_argument("--profile", action="store_true", help="cProfile herald's run")
    p.add_argument(
        "--sender-alone",
        action="store_true",
        help="also hand pre-rendered deliveries to the sender directly (no queue, no worker)",
    )
    p.add_argument(
        "--queue-first",
        action="store_true",
        help="queue the campaign (measured alone) before the worker starts",
    )
    p.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL, not SQLite")
    args = p.parse_args(argv)
    args.n = args.n or (500 if args.quick else 2_000)
    args.extra = dict(item.split("=", 1) for item in args.set)
    return args


async def bench_channel(
    channel: str, peer: Peer, args: argparse.Namespace, db_url: str
) -> list[Measured]:
    rows = []
    if not args.skip_ceiling:
        note(f"{channel}: the peer alone, {args.n:,} messages ...")
        if channel == "email":
            rows.append(await smtp_ceiling(peer.hello, peer, args.n, args.smtp_connections))
        else:
            rows.append(
                await push_ceiling(peer, args.vapid[0], args.n, args.concurrency, peer.hello)
            )
    if args.sender_alone:
        note(f"{channel}: herald's sender alone, {args.n:,} sends ...")
        rows.append(await run_sender_alone(channel, peer, args, db_url))
    if not args.skip_herald:
        note(f"{channel}: herald, a campaign of {args.n:,} ...")
        measured, profile_text = await run_herald(channel, peer, args, db_url)
        rows += measured
        if profile_text:
            note(profile_text)
    for m in rows:
        note(f"  {m.side}: {m.sends:,} in {m.seconds:.2f} s = {m.rate:,.0f}/s")
    return rows


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    quiet_logs()
    args.vapid = vapid.generate_keypair()
    rows: list[Measured] = []
    server = None
    tmp = tempfile.mkdtemp(prefix="herald-channels-bench-")
    try:
        if args.postgres:
            use_test_support()
            from tests.support.postgres import PostgresServer

            note("starting a throwaway PostgreSQL server ...")
            server = PostgresServer().start()
        for channel in args.channels.split(","):
            if channel == "email":
                peer = start_peer(smtp_peer)
            else:
                peer = start_peer(push_peer, args.vapid[1], args.n)
            try:
                if server is not None:
                    db_url = server.create_database(f"bench_{channel}")
                else:
                    db_url = f"sqlite+aiosqlite:///{tmp}/{channel}.db"
                rows += asyncio.run(bench_channel(channel, peer, args, db_url))
            finally:
                peer.stop()
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"## Email and push throughput ({herald_revision()})\n")
    print("\n".join(machine_info(None)))
    print(f"- Database: {'PostgreSQL' if args.postgres else 'SQLite (WAL)'}")
    print(f"- Command: .venv/bin/python bench/channels_throughput.py {' '.join(argv)}\n")
    print(table(rows))
    print()
    print("\n".join(verdicts(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
