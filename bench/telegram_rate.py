"""Telegram rate limits: herald's worker against python-telegram-bot's AIORateLimiter.

Run from the repository root::

    .venv/bin/python bench/telegram_rate.py [--quick]

Both sides send the same workload to a fake Bot API server on loopback
(``tests/support/fake_telegram/``) that enforces Telegram's flood limits like
Telegram does: 30 messages/s per bot, 1/s per private chat and 20/minute per group,
each over a sliding window, answering 429 with ``retry_after`` past them. The
sides (herald, the baseline, the baseline with retries) run one after the other in
the same run, each against a fresh server:

- a campaign of one message to each of N private chats and G groups (default
  3,000 + 20; groups have negative ids and are spread through the campaign);
- meanwhile, A transactional alerts (default 100) to other private chats, one every
  ``0.8 * (campaign length at 30/s) / A`` seconds, so they arrive while the campaign
  is in full flow.

herald, with its shipped defaults (nothing in the settings changed but the bot token
and the database): the campaign is queued first (``enqueue_many``, campaign lane)
into a fresh, migrated SQLite database, then one ``Worker`` built by
``Runtime.worker()`` (the Telegram bucket and sliding window, ``TelegramChatLimits``,
the one-dispatcher-per-bot database lease, the default concurrency, claim batch and
poll) runs with a real ``TelegramSender`` and the sandbox email and push senders that
``build_senders`` adds, as ``herald serve`` runs with only a bot token configured.
Alerts are ``enqueue``d in the transactional lane while it runs.
``--herald-wiring telegram`` gives the worker the Telegram sender only;
``--herald-rate``/``--herald-burst`` override the Telegram bucket.

Baseline: an ``ExtBot`` with ``rate_limiter=AIORateLimiter()`` at its defaults
(30 requests/s overall and 20/minute per group, each an aiolimiter leaky bucket;
no per-private-chat limit; ``max_retries=0``, so a 429 is raised to the caller and
that message is lost), and the same with ``max_retries=3`` (a 429 pauses every
request for ``retry_after`` and the message is retried, up to three times). Every
campaign send is an asyncio task, at most 64 at a time (a semaphore); each alert is
its own task, outside the semaphore.

Figures, from the fake server's own records (monotonic clock, same process):
accepted messages per second (all accepted messages over the time from the first to
the last accepted one, and the campaign alone), 429s answered, messages never
accepted, and each alert's latency from the moment it was handed over (``enqueue``
called / ``send_message`` called) to the moment the server received the request
that was accepted. The fake server's own latency is the median round trip of 20
``sendMessage`` calls through ``TelegramSender`` with no other load.

Progress goes to stderr; machine details and a Markdown table go to stdout. It is a
benchmark, not a test: it asserts nothing about the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from telegram.error import RetryAfter as PtbRetryAfter
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ExtBot

from herald.channels.telegram import TelegramSender
from herald.config import Environment, Settings, TelegramChannel
from herald.db import migrate
from herald.queue import Delivery, Lane, NewDelivery, Sent
from herald.runtime import Runtime
from queue_throughput import herald_revision, machine_info, note, quiet_logs

if TYPE_CHECKING:
    from tests.support.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent

# Telegram's limits, as the fake server enforces them (and as the targets are set).
BOT_PER_SECOND = 30
TARGET_RATE = 29.0  # accepted messages/s, of the 30 allowed
TARGET_P99_ABOVE_SERVER = 0.300  # s: alert p99 minus the fake server's own round trip
BASELINE_CONCURRENCY = 64  # campaign sends in flight (waiting in the limiter) at once
SERVER_LATENCY_SAMPLES = 20
SIDES = ("herald", "baseline", "baseline-retries")  # baseline-retries: max_retries=3

PRIVATE_BASE = 100_000_000  # campaign private chats: 100000001...
GROUP_BASE = -1_001_000_000_000  # campaign groups (supergroups): -1001000000001...
ALERT_BASE = 900_000_000  # alert private chats: 900000001...
CAMPAIGN_TEXT = "Hello\\! Your weekly digest is ready\\."
ALERT_TEXT = "Stop\\-loss order failed on position {i}\\. Check it now\\."


def use_test_support() -> None:
    """Make ``tests.support`` importable (the fake server and the Delivery builder)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def fake_telegram() -> FakeTelegram:
    """A fresh fake Bot API server that answers 429 past Telegram's flood limits."""
    use_test_support()
    from tests.support.fake_telegram import FakeTelegram, Limits

    return FakeTelegram(enforce_limits=True, limits=Limits(BOT_PER_SECOND, 1, 20))


# -- the workload -------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    private: int
    groups: int
    alerts: int

    @property
    def campaign_chats(self) -> list[int]:
        """Private chats with the groups spread evenly through them, in send order."""
        chats = [PRIVATE_BASE + i + 1 for i in range(self.private)]
        step = max(1, self.private // max(1, self.groups))
        for g in range(self.groups):
            chats.insert(min(len(chats), (g + 1) * step + g), GROUP_BASE - g - 1)
        return chats

    @property
    def alert_chats(self) -> list[int]:
        return [ALERT_BASE + i + 1 for i in range(self.alerts)]

    @property
    def total(self) -> int:
        return self.private + self.groups + self.alerts

    @property
    def alert_interval(self) -> float:
        """Alerts span about the first 80% of the campaign (at the full 30/s)."""
        campaign_seconds = (self.private + self.groups) / BOT_PER_SECOND
        return 0.8 * campaign_seconds / max(1, self.alerts)

    def deadline(self) -> float:
        """Seconds after which a side is stopped and reported incomplete."""
        return 2 * self.total / BOT_PER_SECOND + 60


async def at_intervals(
    workload: Workload, started: float, send: Callable[[int, int], Awaitable[None]]
) -> None:
    """Call ``send(i, chat)`` for alert i at ``started + (i + 1) * interval``."""
    for i, chat in enumerate(workload.alert_chats):
        delay = started + (i + 1) * workload.alert_interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(i, chat)


# -- what the server saw ------------------------------------------------------------


@dataclass
class Measured:
    side: str
    limiter: str
    workload: Workload
    campaign_accepted: int = 0
    alerts_accepted: int = 0
    rate_all: float = 0.0  # accepted messages/s, first to last accepted message
    rate_campaign: float = 0.0  # campaign messages/s, first to last accepted campaign message
    span: float = 0.0  # s, first to last accepted message
    too_many: int = 0  # 429s answered
    violations: int = 0  # the server's own count of limit violations
    lost: int = 0  # messages never accepted
    latencies: list[float] = field(default_factory=list)  # s, per accepted alert
    max_in_window: int = 0  # most requests (any status) the server saw in 1 s
    first_429s: list[float] = field(default_factory=list)  # s after the first request
    notes: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else math.nan

    @property
    def p99(self) -> float:
        """Nearest-rank 99th percentile."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def measure(
    tg: FakeTelegram, side: str, limiter: str, workload: Workload, handed_over: dict[str, float]
) -> Measured:
    """The figures, from the server's records and the alerts' hand-over times."""
    m = Measured(side, limiter, workload)
    sends = [r for r in tg.requests if r.method.lower() == "sendmessage"]
    accepted: dict[str, float] = {}
    for r in sends:
        if r.status == 200 and r.chat_id is not None:
            accepted.setdefault(r.chat_id, r.at)
    campaign = {str(c) for c in workload.campaign_chats}
    campaign_times = sorted(t for chat, t in accepted.items() if chat in campaign)
    all_times = sorted(accepted.values())
    m.campaign_accepted = len(campaign_times)
    m.alerts_accepted = sum(1 for chat in handed_over if chat in accepted)
    m.lost = workload.total - len(accepted)
    if len(all_times) > 1:
        m.span = all_times[-1] - all_times[0]
        m.rate_all = len(all_times) / m.span
    if len(campaign_times) > 1:
        m.rate_campaign = len(campaign_times) / (campaign_times[-1] - campaign_times[0])
    m.latencies = [accepted[chat] - t for chat, t in handed_over.items() if chat in accepted]
    m.too_many = sum(1 for r in sends if r.status == 429)
    m.violations = tg.rate_limit_violations
    times = [r.at for r in sends]
    start = 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        m.max_in_window = max(m.max_in_window, end - start + 1)
    if sends:
        m.first_429s = [r.at - sends[0].at for r in sends if r.status == 429][:10]
    return m


async def wait_for_accepted(tg: FakeTelegram, count: int, deadline: float) -> bool:
    """Until the server has accepted ``count`` messages (True) or the deadline passed."""
    while len(tg.messages) < count:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


# -- the fake server's own latency -----------------------------------------------------


async def server_latency(samples: int) -> tuple[float, float]:
    """(median round trip, median call-to-arrival) of a lone sendMessage, in seconds."""
    use_test_support()
    from tests.support.deliveries import make_delivery

    def delivery(i: int) -> Delivery:
        text = ALERT_TEXT.format(i=i)
        return make_delivery("telegram", str(ALERT_BASE - i), {"text": text}, delivery_id=i + 1)

    async with fake_telegram() as tg:
        sender = TelegramSender(tg.token, api_url=tg.url)
        try:
            await sender.send(delivery(0))  # opens the connection
            round_trips, arrivals = [], []
            for i in range(1, samples + 1):
                delivery_i = delivery(i)
                started = time.monotonic()
                outcome = await sender.send(delivery_i)
                round_trips.append(time.monotonic() - started)
                arrivals.append(tg.requests[-1].at - started)
                assert isinstance(outcome, Sent), outcome
        finally:
            await sender.close()
    return statistics.median(round_trips), statistics.median(arrivals)


# -- herald ---------------------------------------------------------------------------


def campaign_deliveries(workload: Workload) -> Iterator[NewDelivery]:
    for i, chat in enumerate(workload.campaign_chats, start=1):
        yield NewDelivery(
            channel="telegram",
            recipient=str(chat),
            # The audience mark messaging writes on every campaign message, so the
            # worker's dispatch gate judges each one (docs/preferences.md).
            payload={"text": CAMPAIGN_TEXT, "audience": {"recipient_id": i, "gated": True}},
            lane=Lane.CAMPAIGN,
            idempotency_key=f"campaign:bench:{chat}",
            campaign="bench",
        )


async def run_herald(
    workload: Workload, tmpdir: str, telegram: TelegramChannel, wiring: str
) -> Measured:
    """``wiring``: "telegram" gives the Runtime one sender, TelegramSender, so its worker
    dispatches Telegram only; "runtime" keeps build_senders' sandbox email and push too,
    as `herald serve` runs when only a bot token is configured."""
    channels = "Telegram only" if wiring == "telegram" else "Telegram + sandbox email and push"
    handed_over: dict[str, float] = {}
    async with fake_telegram() as tg:
        settings = Settings(
            _env_file=None,
            env=Environment.PROD,
            secret_key=secrets.token_hex(24),
            database_url=f"sqlite+aiosqlite:///{tmpdir}/herald.db",
            telegram_bot_token=tg.token,
            telegram_api_url=tg.url,
            telegram=telegram,
        )
        limiter = (
            f"one Worker from Runtime.worker() ({channels}): Telegram bucket "
            f"RateLimit({telegram.rate_per_second:g}, {telegram.burst}) and a sliding window "
            f"of {telegram.rate_per_second:g} in any 1 s, per-chat buckets "
            f"({telegram.private_chat_per_second:g}/s private, {telegram.group_per_minute:g}/min "
            f"groups, burst 1), concurrency {settings.telegram.concurrency}, claim batch "
            f"{settings.claim_batch_size}, poll {settings.poll_interval_seconds:g} s, "
            "bot-token lease; SQLite (WAL); TelegramSender"
        )
        senders = None
        if wiring == "telegram":
            senders = {"telegram": TelegramSender(tg.token, api_url=tg.url)}
        runtime = Runtime.build(settings, senders=senders)
        try:
            await migrate.upgrade(runtime.db)
            queued = await runtime.queue.enqueue_many(campaign_deliveries(workload))
            note(f"  queued {queued:,} campaign deliveries; starting the worker")
            worker = runtime.worker()
            stop = asyncio.Event()
            started = time.monotonic()
            running = asyncio.create_task(worker.run(stop))

            async def alert(i: int, chat: int) -> None:
                handed_over[str(chat)] = time.monotonic()
                await runtime.queue.enqueue(
                    NewDelivery(
                        channel="telegram",
                        recipient=str(chat),
                        payload={"text": ALERT_TEXT.format(i=i)},
                        lane=Lane.TRANSACTIONAL,
                        idempotency_key=f"alert:bench:{chat}",
                    )
                )

            alerts = asyncio.create_task(at_intervals(workload, started, alert))
            done = await wait_for_accepted(tg, workload.total, started + workload.deadline())
            await alerts
            stop.set()
            await running
        finally:
            await runtime.close()
    side = "herald (shipped defaults)" if wiring == "runtime" else "herald, Telegram sender only"
    m = measure(tg, side, limiter, workload, handed_over)
    if not done:
        m.notes.append(f"stopped at the {workload.deadline():.0f} s deadline")
    return m


# -- baseline: python-telegram-bot's AIORateLimiter -------------------------------------------


async def run_baseline(workload: Workload, max_retries: int) -> Measured:
    limiter = (
        f"ExtBot + AIORateLimiter(max_retries={max_retries}): 30/s overall, 20/min per "
        f"group; asyncio tasks, semaphore {BASELINE_CONCURRENCY}"
    )
    handed_over: dict[str, float] = {}
    failures: dict[str, int] = {}
    async with fake_telegram() as tg:
        bot = ExtBot(
            tg.token,
            base_url=f"{tg.url}/bot",
            base_file_url=f"{tg.url}/file/bot",
            rate_limiter=AIORateLimiter(max_retries=max_retries),
        )
        await bot.initialize()  # getMe: not a sendMessage, outside the limits
        try:
            semaphore = asyncio.Semaphore(BASELINE_CONCURRENCY)

            async def send(chat: int, text: str) -> None:
                try:
                    await bot.send_message(chat_id=chat, text=text, parse_mode="MarkdownV2")
                except PtbRetryAfter:
                    failures["RetryAfter"] = failures.get("RetryAfter", 0) + 1
                except TelegramError as exc:
                    name = type(exc).__name__
                    failures[name] = failures.get(name, 0) + 1

            async def campaign_send(chat: int) -> None:
                async with semaphore:
                    await send(chat, CAMPAIGN_TEXT)

            alert_tasks: list[asyncio.Task[None]] = []

            async def alert(i: int, chat: int) -> None:
                handed_over[str(chat)] = time.monotonic()
                alert_tasks.append(asyncio.create_task(send(chat, ALERT_TEXT.format(i=i))))

            started = time.monotonic()
            campaign = [asyncio.create_task(campaign_send(c)) for c in workload.campaign_chats]
            late: set[asyncio.Task[None]] = set()
            await at_intervals(workload, started, alert)
            timeout = max(1.0, started + workload.deadline() - time.monotonic())
            _done, late = await asyncio.wait([*campaign, *alert_tasks], timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        finally:
            await bot.shutdown()
    side = f"python-telegram-bot AIORateLimiter, max_retries={max_retries}"
    m = measure(tg, side, limiter, workload, handed_over)
    if late:
        m.notes.append(f"{len(late)} sends cancelled at the {workload.deadline():.0f} s deadline")
    if failures:
        m.notes.append(
            "exceptions raised to the caller (message not sent): "
            + ", ".join(f"{n} {name}" for name, n in sorted(failures.items()))
        )
    return m


# -- report ---------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def table(rows: list[Measured], server_rtt: float) -> str:
    p99_limit = server_rtt + TARGET_P99_ABOVE_SERVER
    lines = [
        "| Side | Messages accepted | Accepted/s, all messages (campaign only) "
        "| 429s | Never accepted | Most requests in any 1 s | Alert latency p50 / p99 (max) "
        f"| Rate ≥ 29/s | 0 429s | p99 ≤ {ms(p99_limit)} |",
        "|---|--:|---|--:|--:|--:|---|---|---|---|",
    ]
    for m in rows:
        w = m.workload
        accepted = m.campaign_accepted + m.alerts_accepted
        latency = f"{ms(m.p50)} / {ms(m.p99)} ({ms(max(m.latencies))})" if m.latencies else "none"
        lines.append(
            f"| {m.side} | {accepted:,} of {w.total:,} ({m.alerts_accepted} of {w.alerts} alerts) "
            f"| {m.rate_all:.2f}/s over {m.span:.1f} s ({m.rate_campaign:.2f}/s) "
            f"| {m.too_many:,} | {m.lost:,} | {m.max_in_window} | {latency} "
            f"| {verdict(m.rate_all >= TARGET_RATE)} | {verdict(m.too_many == 0)} "
            f"| {verdict(m.p99 <= p99_limit and m.alerts_accepted == w.alerts)} |"
        )
    return "\n".join(lines)


def versions() -> str:
    names = ("python-telegram-bot", "aiolimiter", "httpx", "aiohttp", "SQLAlchemy", "aiosqlite")
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="300 + 5 chats and 20 alerts (smoke)")
    p.add_argument("--private", type=int, help="campaign private chats; default 3,000")
    p.add_argument("--groups", type=int, help="campaign groups; default 20")
    p.add_argument("--alerts", type=int, help="transactional alerts; default 100")
    p.add_argument(
        "--sides",
        default=",".join(SIDES),
        help=f"comma-separated subset of {','.join(SIDES)} (default: all, in that order)",
    )
    p.add_argument(
        "--herald-rate", type=float, help="herald's Telegram bucket, per second (default: shipped)"
    )
    p.add_argument(
        "--herald-burst", type=int, help="herald's Telegram bucket burst (default: shipped)"
    )
    p.add_argument(
        "--herald-wiring",
        choices=("telegram", "runtime"),
        default="runtime",
        help="runtime: the senders `herald serve` has with only a bot token (Telegram, sandbox "
        "email and push; default); telegram: the worker has the Telegram sender only",
    )
    args = p.parse_args(argv)
    args.private = args.private if args.private is not None else (300 if args.quick else 3_000)
    args.groups = args.groups if args.groups is not None else (5 if args.quick else 20)
    args.alerts = args.alerts if args.alerts is not None else (20 if args.quick else 100)
    args.sides = [s.strip().lower() for s in args.sides.split(",") if s.strip()]
    unknown = set(args.sides) - set(SIDES)
    if unknown:
        p.error(f"unknown sides: {', '.join(sorted(unknown))}")
    shipped = TelegramChannel()
    args.telegram = TelegramChannel(
        rate_per_second=args.herald_rate or shipped.rate_per_second,
        burst=args.herald_burst or shipped.burst,
    )
    return args


def print_measured(m: Measured) -> None:
    note(
        f"  -> {m.side}: {m.rate_all:.2f}/s all ({m.rate_campaign:.2f}/s campaign) over "
        f"{m.span:.1f} s; {m.too_many} 429s; {m.lost} never accepted; alerts p50 {ms(m.p50)} "
        f"p99 {ms(m.p99)}; most requests in 1 s: {m.max_in_window}"
    )
    if m.first_429s:
        note(
            "     first 429s at (s after the first request): "
            + ", ".join(f"{t:.2f}" for t in m.first_429s)
        )
    for text in m.notes:
        note(f"     {text}")


async def run(args: argparse.Namespace, tmpdir: str) -> tuple[float, float, list[Measured]]:
    workload = Workload(args.private, args.groups, args.alerts)
    note(f"fake server's own latency ({SERVER_LATENCY_SAMPLES} lone sendMessage calls) ...")
    rtt, arrival = await server_latency(SERVER_LATENCY_SAMPLES)
    note(f"  -> round trip median {rtt * 1000:.1f} ms; call to arrival {arrival * 1000:.1f} ms")
    rows = []
    if "herald" in args.sides:
        note(
            f"[herald] {workload.private:,} + {workload.groups} campaign, {workload.alerts} "
            f"alerts every {workload.alert_interval:.2f} s ..."
        )
        rows.append(await run_herald(workload, tmpdir, args.telegram, args.herald_wiring))
        print_measured(rows[-1])
    for side, retries in (("baseline", 0), ("baseline-retries", 3)):
        if side in args.sides:
            note(f"[AIORateLimiter, max_retries={retries}] the same workload ...")
            rows.append(await run_baseline(workload, retries))
            print_measured(rows[-1])
    return rtt, arrival, rows


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    quiet_logs()
    # AIORateLimiter logs every 429 it passes on with a traceback; the table counts them.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    revision = herald_revision()
    tmpdir = tempfile.mkdtemp(prefix="herald-bench-telegram-")
    try:
        started = time.monotonic()
        rtt, arrival, rows = asyncio.run(run(args, tmpdir))
        note(f"done in {time.monotonic() - started:.0f} s")
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)

    w = Workload(args.private, args.groups, args.alerts)
    print("## Machine\n")
    print("\n".join(machine_info(None)))
    print(
        f"- Packages: {versions()}\n"
        f"\n## Settings\n\n- herald commit: {revision}\n"
        f"- workload: campaign of {w.private:,} private chats + {w.groups} groups, one message "
        f"each; {w.alerts} transactional alerts to other private chats, one every "
        f"{w.alert_interval:.2f} s from the start\n"
        "- fake Bot API server (tests/support/fake_telegram/) on loopback, "
        "enforce_limits=True, Limits(30, 1, 20): sliding windows, 429 past them\n"
        f"- fake server's own latency: median of {SERVER_LATENCY_SAMPLES} lone sendMessage "
        f"calls through TelegramSender: round trip {rtt * 1000:.1f} ms, call to arrival "
        f"{arrival * 1000:.1f} ms"
    )
    for m in rows:
        print(f"- {m.side}: {m.limiter}")
    print("\n## Results\n")
    print(table(rows, rtt))
    for m in rows:
        for text in m.notes:
            print(f"\n{m.side}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
