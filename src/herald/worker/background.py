"""The worker's periodic tasks: run an action every so often, backing off while it fails."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from herald.worker.report import first_line

log = structlog.get_logger("herald.worker")

Action = Callable[[], Awaitable[object]]


async def attempt(action: Action) -> None:
    """Run ``action`` once; a failure (the database is down) is a log line, not a crash."""
    try:
        await action()
    except Exception as exc:
        log.warning("background_task_failed", task=action.__name__, error=first_line(exc))


async def every(
    interval: float,
    action: Action,
    stop: asyncio.Event,
    *,
    wake: asyncio.Event | None = None,
    longest: float,
) -> None:
    """Run ``action`` every ``interval`` seconds (or sooner when ``wake`` is set).

    While it fails (the database is down) the wait doubles up to ``longest``: the 20 ms
    flush tick would otherwise try, and log, fifty times a second."""
    delay = interval
    while not stop.is_set():
        backing_off = delay > interval  # then a wake-up does not cut the wait short
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await (stop if backing_off or wake is None else wake).wait()
        if stop.is_set():
            return
        try:
            await action()
        except Exception as exc:  # the database may be down; try again later
            log.warning("background_task_failed", task=action.__name__, error=first_line(exc))
            delay = min(delay * 2, max(interval, longest))
        else:
            delay = interval
