"""What the delivery events cost where outcomes are recorded.

Run from the repository root::

    .venv/bin/python bench/events_record.py [--batch 500] [--rounds 12] [--profile]

``DeliveryQueue.record`` of a batch of ``Sent`` outcomes, timed with and without the
runtime's ``OutcomesHook`` (``worker/delivery_events.py``, which writes one
``delivery.sent`` per outcome in the same transaction), rounds alternating between the
two on the same database: a SQLite file and a throwaway PostgreSQL
(tests/support/postgres.py). Prints, per batch, the median wall time and the median CPU
time of this process (``time.process_time``: the event loop and SQLite's thread, not
PostgreSQL's server) of each (the first two rounds of each left out as warm-up), and
the differences per outcome: CPU is the figure that holds on a shared machine.
``--profile`` also prints cProfile's top functions of the rounds with the hook (the
event loop's thread only). A benchmark, not a test: it asserts nothing about the
figures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: the throwaway PostgreSQL

from tests.support.postgres import PostgresServer  # noqa: E402

from herald.clock import SystemClock  # noqa: E402
from herald.db import Database, migrate  # noqa: E402
from herald.queue import DeliveryQueue, NewDelivery, Result, Sent  # noqa: E402
from herald.worker.delivery_events import DeliveryEvents  # noqa: E402


async def measure(
    url: str, batch: int, rounds: int, profile: cProfile.Profile | None
) -> dict[str, list[tuple[float, float]]]:
    db = Database(url)
    await migrate.upgrade(db)
    clock = SystemClock()
    queues = {
        "without": DeliveryQueue(db, clock),
        "with": DeliveryQueue(db, clock, on_outcomes=DeliveryEvents()),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in queues}
    for i in range(rounds):
        for name in sorted(queues, reverse=bool(i % 2)):  # alternate which goes first
            queue = queues[name]
            await queue.enqueue_many(
                NewDelivery("telegram", f"{name}-{i}-{k}", {"text": "hi"}) for k in range(batch)
            )
            claimed = await queue.claim("telegram", batch, "bench")
            results = [Result(d, Sent("1")) for d in claimed]
            profiling = profile is not None and name == "with" and i >= 2
            if profiling:
                profile.enable()
            started, cpu = time.perf_counter(), time.process_time()
            await queue.record(results, "bench")
            times[name].append((time.perf_counter() - started, time.process_time() - cpu))
            if profiling:
                profile.disable()
    await db.dispose()
    return times


@contextmanager
def databases(name: str) -> Iterator[dict[str, str]]:
    """A SQLite file and a database ``name`` on a throwaway PostgreSQL: their URLs."""
    server = PostgresServer().start()
    try:
        yield {
            "sqlite": f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db",
            "postgresql": server.create_database(name),
        }
    finally:
        server.cleanup()


async def main_async(args: argparse.Namespace) -> None:
    profiles = {}
    with databases("events_record") as urls:
        print(
            f"record() of {args.batch} outcomes, median of {args.rounds - 2} rounds each\n\n"
            "| database | wall, no hook | wall, with events | wall per outcome "
            "| CPU, no hook | CPU, with events | CPU per outcome |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, url in urls.items():
            profile = cProfile.Profile() if args.profile else None
            times = await measure(url, args.batch, args.rounds, profile)
            cells = []
            for k in (0, 1):  # wall, CPU
                without = statistics.median(t[k] for t in times["without"][2:])
                with_events = statistics.median(t[k] for t in times["with"][2:])
                extra = (with_events - without) / args.batch * 1e6
                cells += [f"{without * 1e3:.1f} ms", f"{with_events * 1e3:.1f} ms"]
                cells.append(f"{extra:+.0f} us")
            print(f"| {name} | {' | '.join(cells)} |")
            if profile is not None:
                profiles[name] = profile
    for name, profile in profiles.items():
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(25)
        print(f"\n### cProfile, {name}, the rounds with the hook (by own time)\n\n```")
        print(out.getvalue().strip())
        print("```")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--batch", type=int, default=500, help="outcomes per record() (the worker's)")
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--profile", action="store_true", help="cProfile the rounds with the hook")
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
