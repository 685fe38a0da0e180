"""Webhook events per second: the outbox fanned out and posted, signed, to a local receiver.

Run from the repository root::

    .venv/bin/python bench/webhooks.py [--events 5000] [--endpoints 1] [--postgres]
        [--concurrency 64]

A fresh, migrated database (a SQLite file, or ``--postgres``: a throwaway PostgreSQL
from tests/support/postgres.py) gets ``--endpoints`` endpoints subscribed to ``*``, all
pointing at one receiver: an aiohttp server in a process of its own (``multiprocessing``,
spawn) answering 200 to every POST, which only counts them (verifying costs its CPU,
not herald's; the tests verify every signature). Then ``--events`` events are recorded
in the outbox (multi-row INSERTs of 500, as producers write them), and one ``Fanout``
and one ``Worker`` from ``Runtime`` (``HERALD_WEBHOOKS__RATE_PER_SECOND`` and
``__ENDPOINT_RATE_PER_SECOND`` raised to 1e6, ``__CONCURRENCY`` and
``__ENDPOINT_CONCURRENCY`` from ``--concurrency``, everything else shipped) run until
every webhook delivery is recorded ``sent``.

Reported: requests per second from the start of the fan-out to the last delivery
recorded, the fan-out alone (``Fanout.drain`` of the whole outbox before the worker
starts, measured separately), herald's CPU per request, and the receiver's count (at
least the deliveries: at-least-once). A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

import sqlalchemy as sa

from herald.config import Environment, Settings
from herald.db import migrate, tables
from herald.events import Event, EventType, record
from herald.runtime import Runtime
from herald.webhooks import NewEndpoint
from queue_throughput import herald_revision, machine_info, note, quiet_logs, server_info

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 500


def receiver(conn: Connection) -> None:
    """Answer 200 to every POST /hook and count them, until told to stop."""
    from aiohttp import web

    async def main() -> None:
        count = 0

        async def hook(request: web.Request) -> web.Response:
            nonlocal count
            await request.read()
            count += 1
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_post("/hook", hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        conn.send(runner.addresses[0][1])
        loop = asyncio.get_running_loop()
        while True:
            ask = await loop.run_in_executor(None, conn.recv)
            if ask == "count":
                conn.send(count)
            else:
                break
        await runner.cleanup()

    asyncio.run(main())


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def sent(runtime: Runtime) -> int:
    d = tables.deliveries
    async with runtime.db.read() as conn:
        query = sa.select(sa.func.count()).where(d.c.channel == "webhook", d.c.state == "sent")
        return int(await conn.scalar(query) or 0)


async def build(url: str, args: argparse.Namespace, port: int) -> Runtime:
    settings = Settings(
        env=Environment.DEV,
        database_url=url,
        webhooks={
            "allow_private_networks": True,
            "rate_per_second": 1e6,
            "burst": 1000,
            "concurrency": args.concurrency,
            # One endpoint may take the whole channel: this measures herald, not a limit.
            "endpoint_concurrency": args.concurrency,
            "endpoint_rate_per_second": 1e6,
            "endpoint_burst": 1000,
        },
    )
    runtime = Runtime.build(settings)
    await migrate.upgrade(runtime.db)
    for i in range(args.endpoints):
        await runtime.webhooks.create(NewEndpoint(f"http://127.0.0.1:{port}/hook?e={i}", ["*"]))
    now = datetime.now(UTC)
    for start in range(0, args.events, CHUNK):
        events = [
            Event(EventType.DELIVERY_SENT, f"delivery:{i}", {"delivery_id": i, "n": i}, now)
            for i in range(start, min(start + CHUNK, args.events))
        ]
        async with runtime.db.write() as conn:
            await record(conn, events)
    return runtime


async def run(
    url: str, args: argparse.Namespace, port: int, fanout_first: bool
) -> dict[str, float]:
    runtime = await build(url, args, port)
    expected = args.events * args.endpoints
    result: dict[str, float] = {}
    try:
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        if fanout_first:
            await runtime.fanout.drain()
            result["fanout_s"] = time.perf_counter() - t0
            return result
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(runtime.fanout.run(stop)),
            asyncio.create_task(runtime.worker(exclusive=False).run(stop)),
        ]
        while (done := await sent(runtime)) < expected:
            if time.perf_counter() - t0 > args.deadline:
                note(f"    deadline: {done:,} of {expected:,} sent")
                break
            await asyncio.sleep(0.2)
        result["seconds"] = time.perf_counter() - t0
        result["cpu_ms"] = (cpu_seconds() - cpu0) * 1000 / max(expected, 1)
        result["sent"] = await sent(runtime)
        stop.set()
        await asyncio.gather(*tasks)
        return result
    finally:
        await runtime.close()


async def main_async(args: argparse.Namespace) -> None:
    quiet_logs()
    sys.path.insert(0, str(ROOT))
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    peer = ctx.Process(target=receiver, args=(child,), daemon=True)
    peer.start()
    port = parent.recv()
    tmp = Path(tempfile.mkdtemp(prefix="herald-bench-webhooks-"))
    pg = None
    pg_version = None
    try:
        if args.postgres:
            from tests.support.postgres import PostgresServer

            pg = PostgresServer().start()
            urls = [pg.create_database("bench_fanout"), pg.create_database("bench_webhooks")]
            pg_version = (await server_info(urls[0]))[0]
        else:
            urls = [f"sqlite:///{tmp / 'fanout.db'}", f"sqlite:///{tmp / 'webhooks.db'}"]
        backend = "postgresql" if args.postgres else "sqlite"
        note(f"[{backend}] fan-out alone: {args.events:,} events x {args.endpoints} endpoint(s)")
        fan = await run(urls[0], args, port, fanout_first=True)
        note(f"[{backend}] fan-out + sending until all are sent")
        full = await run(urls[1], args, port, fanout_first=False)
        parent.send("count")
        received = parent.recv()
    finally:
        parent.send("stop")
        peer.join(5)
        if pg is not None:
            pg.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    expected = args.events * args.endpoints
    print(f"herald {herald_revision()}")
    for line in machine_info(pg_version):
        print(line)
    print()
    print(
        "| database | events x endpoints | fan-out alone | fan-out + send | requests/s "
        "| CPU/request | received |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| {backend} | {args.events:,} x {args.endpoints} | {fan['fanout_s']:.2f} s "
        f"({expected / fan['fanout_s']:,.0f} deliveries queued/s) | {full['seconds']:.2f} s | "
        f"{full['sent'] / full['seconds']:,.0f} | {full['cpu_ms']:.2f} ms | {received:,} |"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--events", type=int, default=5000)
    p.add_argument("--endpoints", type=int, default=1)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--postgres", action="store_true")
    p.add_argument("--deadline", type=float, default=300.0)
    asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    main()
