"""What the preferences' dispatch gate costs, in CPU (issue 18: at most 10% of the
queue benchmark). Run from the repository root::

    .venv/bin/python bench/dispatch_gate.py [--backends sqlite,postgresql] [--n 20000]

For each backend it prints

(a) ``PreferenceGate.judge`` of one claimed batch of 500 campaign deliveries (each with
    the audience mark, no preferences stored: all pass; claimed as the worker claims,
    so the claim said that none chose anything and judge() reads nothing), repeated:
    this process's CPU and the wall time per batch;
(b) the 1-worker drain of ``bench/queue_throughput.py`` without the gate and with it,
    alternating on fresh databases (after one warm-up drain): CPU per delivery (this
    process: the event loop and, on SQLite, the database's thread; PostgreSQL's server
    is not counted), of which inside ``judge``, the statements sent, the wall rate.

CPU per operation, unlike a wall rate, stays comparable on a shared machine. Set
``PYTHONPATH=<other checkout>/src`` to measure another revision with the same script.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

import queue_throughput as qt
from herald.config import AudienceSettings
from herald.preferences import CategoryStore, PreferenceStore
from herald.preferences.gate import PreferenceGate

BATCH = 500


class TimedGate:
    """The gate, with the CPU spent inside its judge() summed."""

    def __init__(self, gate: Any) -> None:
        self.gate, self.cpu = gate, 0.0

    def annotation(self, dialect: str) -> Any:
        return self.gate.annotation(dialect)

    async def judge(self, claimed: Any) -> Any:
        started = time.process_time()
        try:
            return await self.gate.judge(claimed)
        finally:
            self.cpu += time.process_time() - started


async def judge_cost(url: str, batches: int) -> tuple[float, float]:
    """(CPU ms, wall ms) of one judge() of a claimed batch of 500."""
    queue = await qt.open_queue(url)
    try:
        await queue.enqueue_many(qt.campaign(BATCH, "judge"))
        db, clock = queue.db, queue.clock
        gate = PreferenceGate(
            PreferenceStore(db, clock), CategoryStore(db, clock), AudienceSettings(), clock
        )
        # Claimed as the worker claims: with what the gate asks the claim to say of each.
        claimed = await queue.claim(
            qt.CHANNEL, BATCH, "bench", annotate=gate.annotation(db.dialect)
        )
        for _ in range(20):  # warm: the pool, prepared statements, the categories' cache
            await gate.judge(claimed)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(batches):
            await gate.judge(claimed)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return cpu / batches * 1e3, wall / batches * 1e3
    finally:
        await queue.db.dispose()


async def drain_cost(url: str, n: int, gated: bool) -> tuple[float, float, int, float]:
    """(CPU us per delivery, of which in judge, statements, deliveries/s) of the
    1-worker drain."""
    queue = await qt.open_queue(url)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    try:
        await qt.enqueue_for_e2e(queue, n, analyze=queue.db.dialect == "postgresql")
        worker = qt.make_worker(queue, gated=gated)
        timed = worker.gate = TimedGate(worker.gate) if gated else None
        event.listen(queue.db.engine.sync_engine, "before_cursor_execute", count)
        cpu, wall = time.process_time(), time.perf_counter()
        summary = await worker.drain()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        assert summary.sent == n, summary
        judged = timed.cpu if timed is not None else 0.0
        return cpu / n * 1e6, judged / n * 1e6, statements, n / wall
    finally:
        await queue.db.dispose()


def measure(name: str, new_url: Callable[[str], str], n: int, repeat: int) -> None:
    cpu, wall = asyncio.run(judge_cost(new_url("judge"), 200))
    print(f"{name}: judge() of {BATCH}: {cpu:.2f} ms CPU, {wall:.2f} ms wall per batch")
    asyncio.run(drain_cost(new_url("warm"), BATCH * 4, True))
    runs: dict[bool, list[tuple[float, float, int, float]]] = {False: [], True: []}
    for i in range(repeat):
        for gated in (False, True):
            runs[gated].append(asyncio.run(drain_cost(new_url(f"drain{i}{gated:d}"), n, gated)))
    for gated, found in runs.items():
        per = statistics.median(r[0] for r in found)
        print(
            f"{name}: drain of {n:,} {'with' if gated else 'without'} the gate: "
            f"{per:.1f} us CPU per delivery (runs {', '.join(f'{r[0]:.1f}' for r in found)}), "
            f"in judge {statistics.median(r[1] for r in found):.1f} us, "
            f"{found[0][2]} statements, {statistics.median(r[3] for r in found):,.0f}/s"
        )
    with_gate = statistics.median(r[0] for r in runs[True])
    without = statistics.median(r[0] for r in runs[False])
    judged = statistics.median(r[1] for r in runs[True])
    print(
        f"{name}: the gate's cost in the drain's CPU: {with_gate / without - 1:+.1%} "
        f"(with vs without), judge() alone {judged / without:+.1%}"
    )


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--n", type=int, default=20_000, help="deliveries per drain")
    p.add_argument("--repeat", type=int, default=3, help="drains with and without the gate")
    args = p.parse_args(argv)
    qt.quiet_logs()
    print(f"load average (1 min): {qt.load_average()} at the start")
    backends = {b.strip() for b in args.backends.split(",")}
    if "sqlite" in backends:
        tmp = tempfile.mkdtemp(prefix="herald-gate-")
        measure(
            "SQLite", lambda label: f"sqlite+aiosqlite:///{tmp}/{label}.db", args.n, args.repeat
        )
    if "postgresql" in backends:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support
        from tests.support.postgres import PostgresServer

        server = PostgresServer(durable=True).start()
        try:
            measure("PostgreSQL durable", server.create_database, args.n, args.repeat)
        finally:
            server.cleanup()
    print(f"load average (1 min): {qt.load_average()} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
