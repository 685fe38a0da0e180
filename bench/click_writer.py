"""What the click writer costs per click, and the webhook fan-out per click.recorded event.

Run from the repository root (or with ``PYTHONPATH=<another commit's src>`` to measure
that commit: the fan-out is skipped where it does not exist yet)::

    .venv/bin/python bench/click_writer.py [--clicks 20000] [--rounds 3]

On a fresh SQLite file in this process: ``--clicks`` webhook presses are put in the
``ClickStore``'s buffer and written by one ``flush()`` (batches of 1,000, each with its
``click.recorded`` events where the commit has them); then ``Fanout.drain()`` takes the
events those clicks made, with no endpoint subscribed. Each is timed in process CPU
(the event loop and SQLite's thread together: what the served process pays, whatever
the machine's load) and in wall time (which a shared machine inflates).

Issue 19: when this cost per click outgrows what the writer gets of a served process
under a burst of presses, the buffer reaches its bound (docs/benchmarks.md). A
benchmark, not a test: it asserts nothing about the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from herald.clock import SystemClock
from herald.db import Database, migrate
from herald.metrics import Metrics
from herald.queue import DeliveryQueue
from herald.tracking.clicks import ClickStore, NewClick

try:
    from herald.webhooks.fanout import Fanout
    from herald.webhooks.store import EndpointStore
except ImportError:  # a commit before the webhook fan-out (9179628)
    Fanout = None  # type: ignore[assignment,misc]


def press(at: datetime) -> NewClick:
    """A click as a webhook press stores it (bench/clicks.py's update)."""
    meta = {"id": "4100000000000000001", "chat_instance": "1", "data": "c1:5:0:" + "x" * 16}
    return NewClick(
        "callback",
        at,
        promo_id=5,
        cta=0,
        cta_text="Get the offer",
        telegram_user_id=7,
        chat_id="-1001234567890",
        message_id=1,
        meta=meta,
    )


async def bench(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="herald-bench-click-writer-"))
    db = Database(f"sqlite+aiosqlite:///{tmp}/clicks.db")
    await migrate.upgrade(db)
    clock = SystemClock()
    store = ClickStore(db, Metrics())
    fanout: Any = None
    if Fanout is not None:
        fanout = Fanout(db, clock, DeliveryQueue(db, clock), EndpointStore(db, clock))
    n = args.clicks
    print("| round | writer: CPU µs / click | wall µs | fan-out: CPU µs / event | wall µs |")
    print("| --- | ---: | ---: | ---: | ---: |")
    try:
        for round_ in range(1, args.rounds + 1):
            # Straight into the buffer: with no writer task, record() would write each.
            store._buffer.extend(press(datetime.now(UTC)) for _ in range(n))
            cpu, wall = time.process_time(), time.monotonic()
            await store.flush()
            written = time.process_time() - cpu, time.monotonic() - wall
            cpu, wall = time.process_time(), time.monotonic()
            if fanout is not None:
                while await fanout.drain():
                    pass
            fanned = time.process_time() - cpu, time.monotonic() - wall
            fan = f"{fanned[0] / n * 1e6:.0f} | {fanned[1] / n * 1e6:.0f}" if fanout else "- | -"
            print(f"| {round_} | {written[0] / n * 1e6:.0f} | {written[1] / n * 1e6:.0f} | {fan} |")
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
