"""Worker processes released together and timed from the parent: how the queue
benchmark times herald's worker processes and pgqueuer's alike."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from collections.abc import Awaitable, Callable
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from typing import Any

SPAWN = mp.get_context("spawn")


def run_released(
    target: Callable[..., None],
    args: tuple[Any, ...],
    workers: int,
    name: str,
    timer: Callable[[Event, list[SpawnProcess]], Awaitable[float]],
) -> float:
    """Start ``workers`` processes of ``target(*args, ready, go)``; once all wait at
    ``ready``, ``timer(go, procs)`` sets ``go`` and returns the seconds it measured."""
    ready = SPAWN.Barrier(workers + 1)
    go = SPAWN.Event()
    procs = [
        SPAWN.Process(target=target, args=(*args, ready, go), name=f"{name}-{i}")
        for i in range(workers)
    ]
    try:
        for proc in procs:
            proc.start()
        ready.wait(timeout=120)
        elapsed = asyncio.run(timer(go, procs))
        for proc in procs:
            proc.join(timeout=60)
            assert proc.exitcode == 0, f"{proc.name} exited with {proc.exitcode}"
        return elapsed
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=10)
