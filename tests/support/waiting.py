"""Waiting for what background work (tasks, processes, peers) makes true."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


async def eventually(
    done: Callable[[], object | Awaitable[object]],
    seconds: float = 10.0,
    what: str = "the condition",
    every: float = 0.02,
) -> None:
    """Poll ``done`` (sync or async) until it is true; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = done()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, f"timed out after {seconds} s waiting for {what}"
        await asyncio.sleep(every)
