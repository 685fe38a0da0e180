"""What the event ids' shape costs the outbox's INSERT once the table is large.

Run from the repository root::

    .venv/bin/python bench/event_ids.py [--prefill 300000] [--rounds 30]

Fills the ``events`` table with ``--prefill`` events (random ids, 1,000 per INSERT), then
times ``events.record`` of 500 events per round, alternating ids of 128 random bits (what
herald drew before) with ``new_event_ids`` (the time in milliseconds first), on a SQLite
file and a throwaway PostgreSQL (events_record.databases). Prints the median wall and
CPU time of this process (``time.process_time``: the event loop and SQLite's thread, not
PostgreSQL's server) per INSERT. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime

from events_record import databases
from herald.db import Database, migrate
from herald.events import Event, EventType, new_event_ids, record

DATA = {
    "delivery_id": 1,
    "channel": "telegram",
    "recipient": "123456789",
    "lane": "transactional",
    "notification_id": 1,
    "campaign": None,
    "attempts": 1,
    "provider_message_id": "5512",
    "sent_at": "2026-12-07T08:00:00Z",
}


def random_ids(n: int) -> list[str]:
    """Event ids as herald drew them before: 128 random bits."""
    hexed = os.urandom(16 * n).hex()
    return [f"evt_{hexed[i : i + 32]}" for i in range(0, 32 * n, 32)]


def events(ids: list[str]) -> list[Event]:
    now = datetime.now(UTC)
    return [Event(EventType.DELIVERY_SENT, "delivery:1", DATA, now, i) for i in ids]


async def measure(url: str, prefill: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    db = Database(url)
    await migrate.upgrade(db)
    for _ in range(prefill // 1000):
        async with db.write() as conn:
            await record(conn, events(random_ids(1000)))
    draws = {"random": random_ids, "time first": new_event_ids}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in draws}
    for i in range(rounds):
        for name in sorted(draws, reverse=bool(i % 2)):  # alternate which goes first
            batch = events(draws[name](500))
            started, cpu = time.perf_counter(), time.process_time()
            async with db.write() as conn:
                await record(conn, batch)
            times[name].append((time.perf_counter() - started, time.process_time() - cpu))
    await db.dispose()
    return times


async def main_async(args: argparse.Namespace) -> None:
    with databases("event_ids") as urls:
        print(f"record() of 500 events into {args.prefill:,}, median of {args.rounds} rounds\n")
        print("| database | ids | wall | CPU |")
        print("| --- | --- | ---: | ---: |")
        for name, url in urls.items():
            for ids, t in (await measure(url, args.prefill, args.rounds)).items():
                wall = statistics.median(x[0] for x in t) * 1e3
                cpu = statistics.median(x[1] for x in t) * 1e3
                print(f"| {name} | {ids} | {wall:.1f} ms | {cpu:.1f} ms |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--prefill", type=int, default=300_000, help="events in the table first")
    p.add_argument("--rounds", type=int, default=30)
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
