"""What the delivery events cost where outcomes are recorded.

Run from the repository root::

    .venv/bin/python bench/events_record.py [--batch 500] [--rounds 12]

``DeliveryQueue.record`` of a batch of ``Sent`` outcomes, timed with and without the
runtime's ``OutcomesHook`` (``worker/delivery_events.py``, which writes one
``delivery.sent`` per outcome in the same transaction), rounds alternating between the
two on the same database: a SQLite file and a throwaway PostgreSQL
(tests/support/postgres.py). Prints the median time per batch of each (the first two
rounds of each left out as warm-up) and the difference per outcome. A benchmark, not a
test: it asserts nothing about the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: the throwaway PostgreSQL

from tests.support.postgres import PostgresServer  # noqa: E402

from herald.clock import SystemClock  # noqa: E402
from herald.db import Database, migrate  # noqa: E402
from herald.queue import DeliveryQueue, NewDelivery, Result, Sent  # noqa: E402
from herald.worker.delivery_events import DeliveryEvents  # noqa: E402


async def measure(url: str, batch: int, rounds: int) -> dict[str, list[float]]:
    db = Database(url)
    await migrate.upgrade(db)
    clock = SystemClock()
    queues = {
        "without": DeliveryQueue(db, clock),
        "with": DeliveryQueue(db, clock, on_outcomes=DeliveryEvents()),
    }
    times: dict[str, list[float]] = {name: [] for name in queues}
    for i in range(rounds):
        for name in sorted(queues, reverse=bool(i % 2)):  # alternate which goes first
            queue = queues[name]
            await queue.enqueue_many(
                NewDelivery("telegram", f"{name}-{i}-{k}", {"text": "hi"}) for k in range(batch)
            )
            claimed = await queue.claim("telegram", batch, "bench")
            results = [Result(d, Sent("1")) for d in claimed]
            started = time.perf_counter()
            await queue.record(results, "bench")
            times[name].append(time.perf_counter() - started)
    await db.dispose()
    return times


async def main_async(args: argparse.Namespace) -> None:
    server = PostgresServer().start()
    try:
        urls = {
            "sqlite": f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db",
            "postgresql": server.create_database("events_record"),
        }
        print("| database | record() of a batch, no hook | with delivery events | per outcome |")
        print("| --- | ---: | ---: | ---: |")
        for name, url in urls.items():
            times = await measure(url, args.batch, args.rounds)
            without = statistics.median(times["without"][2:])
            with_events = statistics.median(times["with"][2:])
            extra = (with_events - without) / args.batch * 1e6
            print(
                f"| {name} | {without * 1000:.1f} ms | {with_events * 1000:.1f} ms "
                f"| +{extra:.0f} us |"
            )
    finally:
        server.cleanup()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--batch", type=int, default=500, help="outcomes per record() (the worker's)")
    p.add_argument("--rounds", type=int, default=12)
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
