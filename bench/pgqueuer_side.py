"""pgqueuer's side of the queue comparison: a backlog of no-op jobs drained by worker
processes, timed the way ``queue_throughput.bench_processes`` times herald's.

pgqueuer (PyPI) is a bench-only dependency (``pip install -e '.[bench]'``): herald
never imports it. Each worker process runs a ``QueueManager`` in drain mode with a
batch size of 100 and one no-op entrypoint; the parent releases them together and
polls until the ``pgqueuer`` table is empty (pgqueuer deletes a job when it records
it done), so both queues are timed from release to "every job recorded".
"""

from __future__ import annotations

import asyncio
import time
from multiprocessing.synchronize import Barrier, Event
from typing import Any

from released import run_released

ENTRYPOINT = "noop"
BATCH_SIZE = 100
POLL_SECONDS = 0.1  # as queue_throughput.POLL_SECONDS: the time can be this late
ENQUEUE_CHUNK = 10_000


def dsn(sqlalchemy_url: str) -> str:
    """asyncpg's DSN for herald's ``postgresql+asyncpg://`` URL of the same database."""
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def prepare(url: str, n: int) -> None:
    """Install pgqueuer's schema and queue n no-op jobs (untimed), then ANALYZE."""
    import asyncpg
    from pgqueuer import AsyncpgDriver, Queries

    conn = await asyncpg.connect(dsn(url))
    try:
        queries = Queries(AsyncpgDriver(conn))
        await queries.install()
        for start in range(0, n, ENQUEUE_CHUNK):
            size = min(ENQUEUE_CHUNK, n - start)
            await queries.enqueue([ENTRYPOINT] * size, [None] * size, [0] * size)
        await conn.execute("ANALYZE pgqueuer")  # as herald's side: planner statistics
    finally:
        await conn.close()


async def remaining(conn: Any) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM pgqueuer"))


def worker_process(url: str, ready: Barrier, go: Event) -> None:
    asyncio.run(_worker_main(url, ready, go))


async def _worker_main(url: str, ready: Barrier, go: Event) -> None:
    import asyncpg
    from pgqueuer import AsyncpgDriver, Job, Queries, QueueManager
    from pgqueuer.types import QueueExecutionMode

    conn = await asyncpg.connect(dsn(url))
    try:
        manager = QueueManager(Queries(AsyncpgDriver(conn)))

        @manager.entrypoint(ENTRYPOINT)
        async def noop(job: Job) -> None:
            return None

        await asyncio.to_thread(ready.wait)
        await asyncio.to_thread(go.wait)
        await manager.run(batch_size=BATCH_SIZE, mode=QueueExecutionMode.drain)
    finally:
        await conn.close()


def bench_processes(url: str, n: int, workers: int) -> float:
    """Seconds from releasing ``workers`` processes until all n jobs are recorded done."""
    asyncio.run(prepare(url, n))

    async def timer(go: Event, procs: list[Any]) -> float:
        return await _release_and_time(url, n, go, procs)

    return run_released(worker_process, (url,), workers, "pgqueuer", timer)


async def _release_and_time(url: str, n: int, go: Event, procs: list[Any]) -> float:
    import asyncpg

    conn = await asyncpg.connect(dsn(url))
    try:
        assert await remaining(conn) == n
        started = time.perf_counter()
        go.set()
        while (left := await remaining(conn)) > 0:
            if not any(p.is_alive() for p in procs):
                raise RuntimeError(f"all pgqueuer workers exited with {left} of {n} jobs left")
            await asyncio.sleep(POLL_SECONDS)
        elapsed = time.perf_counter() - started
        done = await conn.fetchval("SELECT count(*) FROM pgqueuer_log WHERE status = 'successful'")
        assert done == n, f"{done} of {n} jobs logged successful"
        return elapsed
    finally:
        await conn.close()
