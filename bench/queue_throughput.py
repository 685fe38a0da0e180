"""Delivery-queue throughput benchmark on SQLite and PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/queue_throughput.py [--quick]

It measures

(a) enqueue throughput: ``DeliveryQueue.enqueue_many`` of N deliveries from a lazy
    generator, on a freshly migrated database;
(b) claim-to-completion throughput with a no-op sender: N deliveries are queued
    first (untimed), then the clock runs from the moment the worker(s) start until
    every delivery is in state ``sent``. One worker uses ``Worker.drain()``; on
    PostgreSQL, W worker processes (default 4) each run ``Worker.run(stop)`` until
    the queue has nothing pending or running, and the parent times them from the
    moment it releases them until it sees all N sent;
(c) peak memory of a fresh child process enqueuing 100k deliveries: its RSS after
    imports and migration, its peak RSS (``ru_maxrss``) and the enqueue time;
(d) herald against pgqueuer (PyPI; ``pip install -e '.[bench]'``): a backlog of 100k
    no-op jobs drained by 1 and by 2 worker processes of each, on the same
    PostgreSQL server in the same run (pgqueuer batch size 100; ``pgqueuer_side.py``).

PostgreSQL runs durable (fsync, synchronous_commit and full_page_writes on, as
shipped by PostgreSQL: the headline) and, beside it, with all three off (what the
test suite runs with), each a throwaway server of its own (``tests/support/postgres.py``)
removed at the end; SQLite databases are temporary files. Progress goes to stderr;
machine details, the load average and Markdown tables go to stdout. This is a
benchmark, not a test: it asserts only that every delivery was sent.

The rate limiter is effectively disabled (a 1e9/s bucket) and senders return at
once, so the figures are the queue's own ceiling: claim, lease, and batched
recording of outcomes (the worker records finished sends in batches of up to 500).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import text

from herald.clock import SystemClock
from herald.config import AudienceSettings
from herald.db import Database, migrate
from herald.preferences import CategoryStore, PreferenceStore
from herald.preferences.gate import PreferenceGate
from herald.queue import Delivery, DeliveryQueue, Lane, NewDelivery, Outcome, Sent, State, admin
from herald.worker import ChannelPlan, RateLimit, Worker, WorkerOptions
from released import SPAWN, run_released

ROOT = Path(__file__).resolve().parent.parent
CHANNEL = "bench"
UNLIMITED = RateLimit(per_second=1e9, burst=1_000_000_000)  # the rate limiter never throttles
CONCURRENCY = 500  # sends in flight per worker
BATCH_SIZE = 500  # deliveries claimed per claim
RECORD_BATCH = 500  # outcomes recorded per transaction (the worker's default)
# How often the parent checks for "all sent" in the multi-process case. The count
# takes ~15 ms on 50k rows, so polling much faster would steal a real share of CPU
# from the workers; the measured time can be late by up to one interval.
POLL_SECONDS = 0.1

# Targets: (what, threshold).
TARGET_SQLITE_E2E = 5_000.0  # deliveries/s, end to end, SQLite
TARGET_PG_E2E = 10_000.0  # deliveries/s, end to end, PostgreSQL with 4 workers
TARGET_ENQUEUE_N = 100_000
TARGET_ENQUEUE_SECONDS = 3.0
TARGET_PEAK_MB = 150.0


def quiet_logs() -> None:
    """Only warnings and errors from herald, on stderr, so stdout stays the report."""
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(30),  # logging.WARNING
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the workload -----------------------------------------------------------------


class NoopSender:
    """A sender that succeeds at once, so only the queue is measured."""

    sandbox = False

    def __init__(self, channel: str = CHANNEL) -> None:
        self.channel = channel

    async def send(self, delivery: Delivery) -> Outcome:
        return Sent(f"noop-{delivery.id}")

    async def close(self) -> None:
        return None


def campaign(n: int, name: str) -> Iterator[NewDelivery]:
    """N campaign deliveries to N distinct recipients (so ordering keys never collide)."""
    for i in range(n):
        yield NewDelivery(
            channel=CHANNEL,
            recipient=f"user-{i:07d}",
            payload={
                "text": f"Hello user {i}, your weekly digest is ready.",
                "template": "digest",
                # The audience mark of a campaign message: the dispatch gate judges it.
                "audience": {"recipient_id": i + 1, "category": None, "gated": True},
            },
            lane=Lane.CAMPAIGN,
            idempotency_key=f"{name}:{i}",
            campaign=name,
        )


async def open_queue(url: str) -> DeliveryQueue:
    db = Database(url)
    await migrate.upgrade(db)
    return DeliveryQueue(db, SystemClock())


def make_worker(queue: DeliveryQueue, *, gated: bool = True) -> Worker:
    """The worker as the runtime wires it: with the preferences room's dispatch gate
    (one read per claimed batch; no preferences stored, so every delivery passes), or
    without it (``gated=False``: what the gate costs, measured beside it)."""
    db, clock = queue.db, queue.clock
    gate = PreferenceGate(
        PreferenceStore(db, clock), CategoryStore(db, clock), AudienceSettings(), clock
    )
    return Worker(
        queue,
        {CHANNEL: ChannelPlan(NoopSender(), rate=UNLIMITED, concurrency=CONCURRENCY)},
        options=WorkerOptions(batch_size=BATCH_SIZE, record_batch=RECORD_BATCH),
        gate=gate if gated else None,
    )


async def count_sent(queue: DeliveryQueue) -> tuple[int, int]:
    """(sent, pending + running)."""
    stats = await admin.stats(queue)
    return stats.total(State.SENT), stats.total(State.PENDING) + stats.total(State.RUNNING)


# -- backends ---------------------------------------------------------------------


@dataclass
class Backend:
    name: str  # "SQLite" or "PostgreSQL ..." (durable or fsync off)
    new_url: Callable[[str], str]  # a fresh, empty database for a label

    @property
    def postgres(self) -> bool:
        return self.name.startswith("PostgreSQL")


def sqlite_backend(tmpdir: str) -> Backend:
    return Backend("SQLite", lambda label: f"sqlite+aiosqlite:///{tmpdir}/{label}.db")


# -- (a) enqueue ------------------------------------------------------------------


async def bench_enqueue(url: str, n: int) -> float:
    queue = await open_queue(url)
    try:
        started = time.perf_counter()
        created = await queue.enqueue_many(campaign(n, "enqueue"))
        elapsed = time.perf_counter() - started
        assert created == n, f"enqueued {created} of {n}"
        return elapsed
    finally:
        await queue.db.dispose()


# -- (b) end to end, one worker ------------------------------------------------------


async def enqueue_for_e2e(queue: DeliveryQueue, n: int, analyze: bool) -> None:
    """Queue the end-to-end workload (untimed); optionally refresh planner statistics."""
    await queue.enqueue_many(campaign(n, "e2e"))
    if analyze:
        async with queue.db.write() as conn:
            await conn.execute(text("ANALYZE deliveries"))


async def bench_drain(
    url: str,
    n: int,
    *,
    analyze: bool = False,
    gated: bool = True,
    profile: cProfile.Profile | None = None,
) -> float:
    queue = await open_queue(url)
    try:
        await enqueue_for_e2e(queue, n, analyze)
        worker = make_worker(queue, gated=gated)
        if profile is not None:
            profile.enable()
        started = time.perf_counter()
        summary = await worker.drain()
        elapsed = time.perf_counter() - started
        if profile is not None:
            profile.disable()
        sent, left = await count_sent(queue)
        assert summary.sent == n and sent == n and left == 0, (summary, sent, left)
        return elapsed
    finally:
        await queue.db.dispose()


# -- (b) end to end, several worker processes ------------------------------------------


def worker_process(url: str, done: Event, ready: Barrier, go: Event) -> None:
    """One worker process with its own Database and queue.

    It waits at the barrier, starts when the parent sets ``go`` and runs
    ``Worker.run(stop)`` until the parent, polling ``admin.stats``, sets ``done``
    (nothing pending or running is left). One poller instead of one per worker
    keeps the count query from competing with the workers for the CPUs.
    """
    quiet_logs()
    asyncio.run(_worker_main(url, done, ready, go))


async def _worker_main(url: str, done: Event, ready: Barrier, go: Event) -> None:
    db = Database(url)
    queue = DeliveryQueue(db, SystemClock())
    try:
        await count_sent(queue)  # open a pooled connection before the clock starts
        await asyncio.to_thread(ready.wait)
        await asyncio.to_thread(go.wait)
        worker = make_worker(queue)
        stop = asyncio.Event()
        waiter = asyncio.create_task(_set_when(done, stop))
        try:
            await worker.run(stop)
        finally:
            waiter.cancel()
            done.set()  # unblocks the waiting thread if this worker failed
    finally:
        await db.dispose()


async def _set_when(done: Event, stop: asyncio.Event) -> None:
    await asyncio.to_thread(done.wait)
    stop.set()


def bench_processes(url: str, n: int, workers: int, *, analyze: bool = False) -> float:
    async def prepare() -> None:
        queue = await open_queue(url)
        try:
            await enqueue_for_e2e(queue, n, analyze)
        finally:
            await queue.db.dispose()

    asyncio.run(prepare())
    done = SPAWN.Event()

    async def timer(go: Event, procs: list[Any]) -> float:
        try:
            return await _release_and_time(url, n, go, procs)
        finally:
            done.set()

    return run_released(worker_process, (url, done), workers, "bench-worker", timer)


async def _release_and_time(url: str, n: int, go: Event, procs: list[Any]) -> float:
    """Set ``go`` and time until ``admin.stats`` shows all N sent and nothing left."""
    db = Database(url)
    queue = DeliveryQueue(db, SystemClock())
    try:
        await count_sent(queue)  # warm the connection
        started = time.perf_counter()
        go.set()
        while True:
            sent, left = await count_sent(queue)
            if sent >= n and left == 0:
                elapsed = time.perf_counter() - started
                break
            if not any(p.is_alive() for p in procs):
                raise RuntimeError(f"all workers exited with only {sent} of {n} sent")
            await asyncio.sleep(POLL_SECONDS)
        assert sent == n, (sent, left)
        return elapsed
    finally:
        await db.dispose()


# -- (c) memory, in a fresh child process -------------------------------------------------


def _proc_status_kib(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


async def _memory_main(url: str, n: int) -> dict[str, Any]:
    queue = await open_queue(url)
    try:
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rss_before = _proc_status_kib("VmRSS")
        started = time.perf_counter()
        created = await queue.enqueue_many(campaign(n, "memory"))
        elapsed = time.perf_counter() - started
        assert created == n, f"enqueued {created} of {n}"
        return {
            "baseline_maxrss_kib": baseline,
            "rss_before_kib": rss_before,
            "peak_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "vmhwm_kib": _proc_status_kib("VmHWM"),  # peak of this process image only
            "seconds": elapsed,
        }
    finally:
        await queue.db.dispose()


def bench_memory(url: str, n: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "_memory", url, str(n)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# -- report ---------------------------------------------------------------------------------


@dataclass
class Row:
    benchmark: str
    backend: str
    n: int
    result: str
    spread: str = "1 run"
    target: str = "—"
    verdict: str = "—"
    load: str = field(default_factory=lambda: load_average())  # when the case finished


@dataclass
class Versus:
    """herald and pgqueuer draining the same backlog on the same server, same run."""

    backend: str
    workers: int
    n: int
    herald: list[float]  # seconds, one per run
    pgqueuer: list[float]
    load: str = field(default_factory=lambda: load_average())

    def row(self) -> str:
        h, q = self.n / statistics.median(self.herald), self.n / statistics.median(self.pgqueuer)
        faster = "herald" if h >= q else "pgqueuer"
        ratio = max(h, q) / min(h, q)

        def runs(times: list[float]) -> str:
            return ", ".join(f"{self.n / t:,.0f}" for t in times)

        return (
            f"| {self.backend} | {self.workers} | {self.n:,} | {h:,.0f}/s ({runs(self.herald)}) "
            f"| {q:,.0f}/s ({runs(self.pgqueuer)}) | {faster}, {ratio:.2f}x | {self.load} |"
        )


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    versus: list[Versus] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        note(
            f"  -> {row.benchmark} [{row.backend}]: {row.result}; {row.spread}; {row.verdict}; "
            f"load {row.load}"
        )

    def markdown(self) -> str:
        lines = [
            "| Benchmark | Backend | N | Result (median) | Runs: min-max | Target | Met? "
            "| Load (1 min) |",
            "|---|---|--:|---|---|---|---|--:|",
        ]
        for r in self.rows:
            lines.append(
                f"| {r.benchmark} | {r.backend} | {r.n:,} | {r.result} | {r.spread} "
                f"| {r.target} | {r.verdict} | {r.load} |"
            )
        if self.versus:
            lines += [
                "",
                "| Backend | Worker processes (each side) | Backlog | herald, median (runs) "
                "| pgqueuer, median (runs) | Faster, by | Load (1 min) |",
                "|---|--:|--:|---|---|---|--:|",
                *(v.row() for v in self.versus),
            ]
        return "\n".join(lines)


def timed(n: int, runs: list[float]) -> tuple[float, str, str]:
    """(median deliveries/s, "rate (seconds)" of the median, "min-max/s over k runs")."""
    median = statistics.median(runs)
    result = f"{n / median:,.0f}/s ({median:.2f} s)"
    if len(runs) == 1:
        return n / median, result, "1 run"
    return n / median, result, f"{n / max(runs):,.0f} to {n / min(runs):,.0f}/s ({len(runs)} runs)"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def mb(kib: int) -> float:
    return kib * 1024 / 1e6


def load_average() -> str:
    """The 1-minute load average now: the machine is shared, so every figure carries it."""
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def herald_revision() -> str:
    """The commit benchmarked, marked when src/ has uncommitted changes."""

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (
        " (src/ has uncommitted changes)" if git("status", "--porcelain", "src") else ""
    )


def machine_info(pg_version: str | None) -> list[str]:
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    info = [
        f"- CPUs (nproc): {len(os.sched_getaffinity(0))}",
        f"- CPU model: {model}",
        f"- Memory: {mem_kib / 1024 / 1024:.1f} GiB",
        f"- OS: {platform.system()} {platform.release()} ({platform.machine()})",
        f"- Python: {platform.python_version()} ({platform.python_implementation()})",
        f"- SQLite: {sqlite3.sqlite_version}",
    ]
    if pg_version:
        info.append(f"- PostgreSQL: {pg_version}")
    return info


async def server_info(url: str) -> tuple[str, str]:
    """PostgreSQL's version and the durability settings the throwaway server runs with."""
    db = Database(url)
    try:
        async with db.read() as conn:
            version = str(await conn.scalar(text("SHOW server_version")))
            settings = [
                f"{name}={await conn.scalar(text(f'SHOW {name}'))}"
                for name in ("fsync", "synchronous_commit", "full_page_writes")
            ]
        return version, ", ".join(settings)
    finally:
        await db.dispose()


# -- (d) herald vs pgqueuer -----------------------------------------------------------------


def pgqueuer_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("pgqueuer")
    except metadata.PackageNotFoundError:
        raise SystemExit("error: pgqueuer is needed for (d): pip install -e '.[bench]'") from None


def versus_pgqueuer(backend: Backend, n: int, workers: int, repeat: int) -> Versus:
    import pgqueuer_side

    pgqueuer_version()
    herald: list[float] = []
    pgqueuer: list[float] = []
    for i in range(repeat):
        note(f"[{backend.name}] {n:,} backlog, {workers} process(es): herald, run {i + 1} ...")
        herald.append(
            bench_processes(backend.new_url(f"vs_herald_{workers}_{i}"), n, workers, analyze=True)
        )
        note(f"[{backend.name}] {n:,} backlog, {workers} process(es): pgqueuer, run {i + 1} ...")
        pgqueuer.append(
            pgqueuer_side.bench_processes(backend.new_url(f"vs_pgq_{workers}_{i}"), n, workers)
        )
    versus = Versus(backend.name, workers, n, herald, pgqueuer)
    note(f"  -> {versus.row()}")
    return versus


# -- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="smaller N (a smoke run)")
    p.add_argument("--enqueue-n", type=int, help="deliveries for (a); default 100k, quick 20k")
    p.add_argument("--e2e-n", type=int, help="deliveries for (b); default 50k, quick 10k")
    p.add_argument(
        "--memory-n", type=int, default=TARGET_ENQUEUE_N, help="deliveries for (c); default 100k"
    )
    p.add_argument(
        "--repeat",
        type=int,
        help="runs of each (a) and (b) case, median reported; default 3, quick 1",
    )
    p.add_argument("--workers", type=int, default=4, help="PostgreSQL worker processes")
    p.add_argument(
        "--gate",
        choices=("on", "off", "both"),
        default="on",
        help="the 1-worker end-to-end case with the preferences' dispatch gate (on, as "
        "shipped), without it (off), or both alternating (what the gate costs)",
    )
    p.add_argument(
        "--backends",
        default="sqlite,postgresql",
        help="comma-separated subset of sqlite,postgresql",
    )
    p.add_argument(
        "--pg-durability",
        choices=("durable", "off", "both"),
        default="both",
        help="PostgreSQL servers: durable (fsync, synchronous_commit, full_page_writes on), "
        "off (all three off), or both side by side (default)",
    )
    p.add_argument(
        "--pg-analyze",
        choices=("off", "on", "both"),
        default="on",
        help="PostgreSQL end-to-end cases: time them on a freshly filled table with no planner "
        "statistics (off), after ANALYZE (on, default: autovacuum analyzes a big campaign), "
        "or both",
    )
    p.add_argument(
        "--versus-n", type=int, help="(d) backlog of herald vs pgqueuer; default 100k, quick 10k"
    )
    p.add_argument(
        "--versus-workers",
        default="1,2",
        help="(d) worker processes of each side, comma-separated; empty skips (d)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="only profile the SQLite one-worker end-to-end case (cProfile) and print hotspots",
    )
    args = p.parse_args(argv)
    args.enqueue_n = args.enqueue_n or (20_000 if args.quick else 100_000)
    args.e2e_n = args.e2e_n or (10_000 if args.quick else 50_000)
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.versus_n = args.versus_n or (10_000 if args.quick else 100_000)
    args.versus_workers = [int(w) for w in args.versus_workers.split(",") if w.strip()]
    args.backends = {b.strip().lower() for b in args.backends.split(",") if b.strip()}
    return args


def analyze_variants(backend: Backend, mode: str) -> list[bool]:
    """Whether to ANALYZE after the (untimed) enqueue; PostgreSQL only."""
    if not backend.postgres:
        return [False]
    return {"off": [False], "on": [True], "both": [False, True]}[mode]


def stats_note(backend: Backend, analyze: bool) -> str:
    if not backend.postgres:
        return ""
    return ", ANALYZE after enqueue" if analyze else ", no planner stats"


def run_profile(tmpdir: str, n: int) -> None:
    profile = cProfile.Profile()
    elapsed = asyncio.run(
        bench_drain(f"sqlite+aiosqlite:///{tmpdir}/profile.db", n, profile=profile)
    )
    note(
        f"SQLite drain of {n:,} under cProfile: {n / elapsed:,.0f}/s ({elapsed:.2f} s); "
        "profiling slows it down"
    )
    for key in ("tottime", "cumulative"):
        buf = io.StringIO()
        pstats.Stats(profile, stream=buf).sort_stats(key).print_stats(35)
        print(f"## Top 35 by {key} (event-loop thread only)\n```\n{buf.getvalue()}```")
    buf = io.StringIO()
    pstats.Stats(profile, stream=buf).sort_stats("cumulative").print_stats("herald", 30)
    print(f"## herald's own functions by cumulative time\n```\n{buf.getvalue()}```")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    quiet_logs()
    tmpdir = tempfile.mkdtemp(prefix="herald-bench-")
    servers: list[Any] = []
    report = Report()
    pg_version = None
    pg_settings: list[str] = []
    revision = herald_revision()  # before the run: src/ may change while it runs
    load_before = load_average()
    try:
        if args.profile:
            run_profile(tmpdir, args.e2e_n)
            return 0
        backends = []
        if "sqlite" in args.backends:
            backends.append(sqlite_backend(tmpdir))
        if "postgresql" in args.backends:
            sys.path.insert(0, str(ROOT))  # for tests.support
            from tests.support.postgres import PostgresServer

            modes = {"durable": [True], "off": [False], "both": [True, False]}
            for durable in modes[args.pg_durability]:
                name = "PostgreSQL durable" if durable else "PostgreSQL fsync off"
                note(f"starting a throwaway server: {name} ...")
                server = PostgresServer(durable=durable)
                servers.append(server)
                server.start()
                backends.append(Backend(name, server.create_database))
                pg_version, settings = asyncio.run(server_info(server.url("postgres")))
                pg_settings.append(f"{name}: {settings}")

        # (c) first, while this process is still small: a child's ru_maxrss can
        # include the RSS of the parent that spawned it (it survives execve).
        for b in backends:
            note(f"[{b.name}] peak memory enqueuing {args.memory_n:,} in a fresh process ...")
            m = bench_memory(b.new_url("memory"), args.memory_n)
            note(f"     raw: {m}")
            peak = mb(m["peak_maxrss_kib"])
            report.add(
                Row(
                    "peak RSS of a fresh process running enqueue_many",
                    b.name,
                    args.memory_n,
                    f"{peak:.0f} MB peak; {mb(m['baseline_maxrss_kib']):.0f} MB before "
                    f"(after imports + migration); enqueue took {m['seconds']:.2f} s",
                    target=f"< {TARGET_PEAK_MB:.0f} MB at 100k",
                    verdict=verdict(peak < TARGET_PEAK_MB)
                    if args.memory_n == TARGET_ENQUEUE_N
                    else "n/a (N ≠ 100k)",
                )
            )

        for b in backends:
            note(f"[{b.name}] enqueue_many of {args.enqueue_n:,} x {args.repeat} ...")
            runs = [
                asyncio.run(bench_enqueue(b.new_url(f"enqueue_{i}"), args.enqueue_n))
                for i in range(args.repeat)
            ]
            per_s, result, spread = timed(args.enqueue_n, runs)
            scaled = "" if args.enqueue_n == TARGET_ENQUEUE_N else " (rate scaled to 100k)"
            report.add(
                Row(
                    "enqueue_many",
                    b.name,
                    args.enqueue_n,
                    result,
                    spread,
                    f"100k in ≤ {TARGET_ENQUEUE_SECONDS:.0f} s (≥ 33,333/s)",
                    verdict(per_s >= TARGET_ENQUEUE_N / TARGET_ENQUEUE_SECONDS) + scaled,
                )
            )

        gates = {"on": [True], "off": [False], "both": [True, False]}[args.gate]
        for b in backends:
            for analyze in analyze_variants(b, args.pg_analyze):
                tag = stats_note(b, analyze)
                note(f"[{b.name}] end to end, 1 worker, {args.e2e_n:,} x {args.repeat}{tag} ...")
                # With the gate and without it alternating, so a change in the machine's
                # load falls on both sides alike.
                by_gate: dict[bool, list[float]] = {g: [] for g in gates}
                for i in range(args.repeat):
                    for gated in gates:
                        url = b.new_url(f"e2e_1_{int(analyze)}_{int(gated)}_{i}")
                        by_gate[gated].append(
                            asyncio.run(bench_drain(url, args.e2e_n, analyze=analyze, gated=gated))
                        )
                for gated, runs in by_gate.items():
                    per_s, result, spread = timed(args.e2e_n, runs)
                    target, ok_text = "—", "—"
                    if not b.postgres:
                        target = f"≥ {TARGET_SQLITE_E2E:,.0f}/s"
                        ok_text = verdict(per_s >= TARGET_SQLITE_E2E)
                    gate_tag = "" if gated else " without the dispatch gate"
                    report.add(
                        Row(
                            f"claim → send → record, 1 worker (drain){tag}{gate_tag}",
                            b.name,
                            args.e2e_n,
                            result,
                            spread,
                            target,
                            ok_text,
                        )
                    )

        for b in backends:
            if not b.postgres:
                continue
            w = args.workers
            for analyze in analyze_variants(b, args.pg_analyze):
                tag = stats_note(b, analyze)
                note(f"[{b.name}] end to end, {w} processes, {args.e2e_n:,} x {args.repeat}{tag}")
                runs = [
                    bench_processes(
                        b.new_url(f"e2e_{w}_{int(analyze)}_{i}"), args.e2e_n, w, analyze=analyze
                    )
                    for i in range(args.repeat)
                ]
                per_s, result, spread = timed(args.e2e_n, runs)
                report.add(
                    Row(
                        f"claim → send → record, {w} worker processes{tag}",
                        b.name,
                        args.e2e_n,
                        result,
                        spread,
                        f"≥ {TARGET_PG_E2E:,.0f}/s with 4 workers",
                        verdict(per_s >= TARGET_PG_E2E) if w == 4 else "n/a (workers ≠ 4)",
                    )
                )

        for b in backends:
            if b.postgres:
                for w in args.versus_workers:
                    report.versus.append(versus_pgqueuer(b, args.versus_n, w, args.repeat))
    finally:
        for server in servers:
            note("stopping PostgreSQL ...")
            server.cleanup()
        shutil.rmtree(tmpdir, ignore_errors=True)

    print("## Machine\n")
    print("\n".join(machine_info(pg_version)))
    print(f"- load average (1 min): {load_before} at the start, {load_average()} at the end")
    print(
        f"\n## Settings\n\n- herald commit: {revision}\n"
        f"- worker: concurrency {CONCURRENCY}, claim batch {BATCH_SIZE}, "
        f"record batch {RECORD_BATCH}, rate limit {UNLIMITED.per_second:g}/s (never throttles)\n"
        "- sender: no-op, returns `Sent` at once\n"
        f"- each (a) and (b) case runs {args.repeat} time(s) on a fresh database; "
        "the median is reported\n"
        "- enqueue: `enqueue_many`, chunk size 1000, campaign lane, distinct recipients, "
        "idempotency keys\n"
        "- SQLite: WAL, synchronous=NORMAL, temporary file on local disk"
    )
    for line in pg_settings:
        print(f"- {line} (a throwaway server from tests/support/postgres.py)")
    if report.versus:
        print(
            "- herald vs pgqueuer: each side's backlog queued first (untimed) in a fresh "
            "database of the same server, then ANALYZE; worker processes released together, "
            "timed until every job is recorded done (polled every 0.1 s); herald: the worker "
            f"above (claim batch {BATCH_SIZE}); pgqueuer {pgqueuer_version()}: QueueManager, "
            "drain mode, batch size 100, a no-op async entrypoint; the sides alternate, "
            "herald first, each run on fresh databases"
        )
    print()
    print("## Results\n")
    print(report.markdown())
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "_memory":  # hidden: the (c) child process
        quiet_logs()
        result = asyncio.run(_memory_main(sys.argv[2], int(sys.argv[3])))
        print(json.dumps(result))
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
