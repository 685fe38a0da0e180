"""One Telegram dispatcher's ceiling: sends/s and CPU per send of one worker process.

Run from the repository root::

    .venv/bin/python bench/telegram_send.py [--n 20000] [--database sqlite|postgresql]
    .venv/bin/python bench/telegram_send.py --paid [--n 5000]   # paid broadcasts, limits on
    .venv/bin/python bench/telegram_send.py --profile            # cProfile of the same run

N campaign deliveries to N distinct private chats are queued (untimed) into a fresh,
migrated database; then one ``Worker`` from ``Runtime.worker()`` (the production wiring:
Telegram bucket and sliding window, per-chat buckets, the bot-token lease, batched
recording) runs with a real ``TelegramSender`` until every delivery is sent. The fake
Bot API (``tests/support/fake_telegram/``) runs in a child process, so it does not
share the worker's event loop or its CPU accounting.

Default: limits off (``HERALD_TELEGRAM__RATE_PER_SECOND`` and ``__BURST`` huge, the
fake server enforcing nothing), so the figure is the worker's own ceiling. ``--paid``:
the campaign lane is a paid lane (``HERALD_TELEGRAM__PAID_BROADCAST=["campaign"]``,
paid rate 1,000/s) and the fake server enforces Telegram's limits (30/s free, 1,000/s
with ``allow_paid_broadcast``, 1/s per private chat), answering 429 past them.

Figures: sends/s from the worker's start to the last recorded send; the worker
process's CPU time (``time.process_time``: every thread, so SQLite's driver threads
count) divided by the sends; the 429s the server answered. It asserts only that every
delivery was sent. Progress goes to stderr, the report to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from herald.channels.telegram import TelegramSender
from herald.config import Environment, Settings, TelegramChannel
from herald.db import migrate
from herald.queue import Lane, NewDelivery
from herald.runtime import Runtime
from herald.worker.telegram import telegram_concurrency
from queue_throughput import herald_revision, machine_info, note, quiet_logs

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "7012345678:AAFakeTokenForHeraldTestsOnly-abcdefgh"
TARGET_RATE = 1_500.0  # sends/s, limits off
TARGET_CPU_MS = 0.6  # CPU ms per send, limits off
TEXT = "Stop\\-loss order failed on position {i}\\. Check it now\\."

# The fake server's process: prints its URL, serves until stdin closes, then prints
# what it answered as one JSON line.
SERVER = """
import asyncio, json, sys, time
from collections import Counter
from tests.support.fake_telegram import FakeTelegram, Limits

async def main(enforce):
    tg = FakeTelegram(token=sys.argv[1], enforce_limits=enforce, limits=Limits(30, 1, 20))
    await tg.start()
    print(tg.url, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    sends = [r for r in tg.requests if r.method.lower() == "sendmessage"]
    paid = sorted(r.at for r in sends if r.status == 200 and r.params.get("allow_paid_broadcast"))
    most, start = 0, 0
    for end, t in enumerate(paid):
        while paid[start] <= t - 1.0:
            start += 1
        most = max(most, end - start + 1)
    statuses = Counter(str(r.status) for r in sends)
    cpu = time.process_time()
    report = {"statuses": statuses, "paid": len(paid), "most_paid_in_1s": most, "cpu": cpu}
    print(json.dumps(report))
    await tg.stop()

asyncio.run(main(sys.argv[2] == "enforce"))
"""


def deliveries(n: int) -> Iterator[NewDelivery]:
    for i in range(n):
        yield NewDelivery(
            channel="telegram",
            recipient=str(100_000_001 + i),
            payload={"text": TEXT.format(i=i)},
            lane=Lane.CAMPAIGN,
            idempotency_key=f"bench:{i}",
            campaign="bench",
        )


def start_server(enforce: bool) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, TOKEN, "enforce" if enforce else "off"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def stop_server(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = proc.communicate(timeout=60)
    return dict(json.loads(out.strip().splitlines()[-1]))


def settings_for(args: argparse.Namespace, url: str, db_url: str) -> Settings:
    options: dict[str, Any] = {}
    if args.concurrency is not None:
        options["concurrency"] = args.concurrency
    if args.paid:
        telegram = TelegramChannel(paid_broadcast=["campaign"], **options)
    else:  # limits off
        telegram = TelegramChannel(rate_per_second=1e6, burst=1_000_000, **options)
    return Settings(
        _env_file=None,
        env=Environment.PROD,
        secret_key=secrets.token_hex(24),
        database_url=db_url,
        telegram_bot_token=TOKEN,
        telegram_api_url=url,
        telegram_updates="off",
        claim_batch_size=args.batch,
        telegram=telegram,
    )


async def run(args: argparse.Namespace, url: str, db_url: str) -> dict[str, float]:
    settings = settings_for(args, url, db_url)
    sender = TelegramSender(TOKEN, api_url=url)
    runtime = Runtime.build(settings, senders={"telegram": sender})
    try:
        await migrate.upgrade(runtime.db)
        await runtime.queue.enqueue_many(deliveries(args.n))
        note(f"  queued {args.n:,}; starting the worker")
        worker = runtime.worker()
        sent = runtime.metrics.messages_sent.labels("telegram")
        stop = asyncio.Event()
        profile = cProfile.Profile() if args.profile else None
        cpu, started = time.process_time(), time.monotonic()
        if profile is not None:
            profile.enable()
        running = asyncio.create_task(worker.run(stop))
        while sent._value.get() < args.n:
            if time.monotonic() - started > args.deadline:
                note(f"  stopped at the {args.deadline:.0f} s deadline")
                break
            await asyncio.sleep(0.02)
        elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
        if profile is not None:
            profile.disable()
        done = sent._value.get()
        stop.set()
        await running
    finally:
        await runtime.close()
    if profile is not None:
        buf = io.StringIO()
        pstats.Stats(profile, stream=buf).sort_stats("tottime").print_stats(40)
        print(f"## cProfile, top 40 by tottime (event-loop thread)\n```\n{buf.getvalue()}```")
    return {"sent": done, "seconds": elapsed, "cpu": cpu}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--n", type=int, default=20_000, help="deliveries; default 20,000")
    p.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument(
        "--concurrency", type=int, help="Telegram sends in flight; default the settings'"
    )
    p.add_argument("--batch", type=int, default=200, help="claim batch (HERALD_CLAIM_BATCH_SIZE)")
    p.add_argument("--paid", action="store_true", help="paid lane, the fake enforcing limits")
    p.add_argument("--profile", action="store_true", help="cProfile the worker's event loop")
    p.add_argument("--deadline", type=float, default=120.0, help="seconds before giving up")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    quiet_logs()
    sys.path.insert(0, str(ROOT))
    revision = herald_revision()
    tmpdir = tempfile.mkdtemp(prefix="herald-bench-send-")
    pg: Any = None
    proc, url = start_server(enforce=args.paid)
    try:
        if args.database == "postgresql":
            from tests.support.postgres import PostgresServer

            pg = PostgresServer().start()
            db_url = pg.create_database("send")
        else:
            db_url = f"sqlite+aiosqlite:///{tmpdir}/herald.db"
        note(f"fake Bot API at {url} (separate process); {args.database} ...")
        result = asyncio.run(run(args, url, db_url))
    finally:
        server = stop_server(proc)
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmpdir, ignore_errors=True)
    rate = result["sent"] / result["seconds"]
    cpu_ms = result["cpu"] * 1000 / max(result["sent"], 1)
    mode = "paid lane, limits enforced" if args.paid else "limits off"
    note(f"  -> {rate:,.0f} sends/s, {cpu_ms:.3f} ms CPU per send; server: {server}")
    print("## Machine\n")
    print("\n".join(machine_info(None)))
    print(f"\n## Settings\n\n- herald commit: {revision}\n- {mode}; {args.database}; N={args.n:,}")
    concurrency = telegram_concurrency(settings_for(args, url, "sqlite:///unused.db").telegram)
    print(f"- concurrency {concurrency}, claim batch {args.batch}\n")
    server_ms = server["cpu"] * 1000 / max(result["sent"], 1)
    print("| sends/s | CPU ms per send | fake server's CPU ms per send | 429s ", end="")
    print("| paid sends (most in 1 s) | targets |")
    print("|--:|--:|--:|--:|--:|---|")
    targets = (
        f"rate ≥ {TARGET_RATE:,.0f}: {'met' if rate >= TARGET_RATE else '**missed**'}; "
        f"CPU ≤ {TARGET_CPU_MS} ms: {'met' if cpu_ms <= TARGET_CPU_MS else '**missed**'}"
    )
    if args.paid:
        targets = "paid ≤ 1,000 in any 1 s, 0 429s"
    print(
        f"| {rate:,.0f} | {cpu_ms:.3f} | {server_ms:.3f} | {server['statuses'].get('429', 0)} "
        f"| {server['paid']:,} ({server['most_paid_in_1s']:,}) | {targets} |"
    )
    return 0 if result["sent"] == args.n else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
