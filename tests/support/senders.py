"""Senders for worker tests: they answer from a script instead of a provider."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from herald.clock import Clock
from herald.config import load_settings
from herald.queue import Delivery, Outcome, Sent
from herald.runtime import Runtime


class ScriptedSender:
    """Answers each recipient's sends from its script, then ``Sent`` once it runs out.

    Records every call (recipient, attempt, monotonic time) and the most sends
    that were ever running at once for one ordering key.
    """

    sandbox = False

    def __init__(
        self,
        channel: str,
        clock: Clock,
        script: dict[str, list[Outcome | Exception]] | None = None,
        delay: float = 0.0,
        on_send: Callable[[Delivery], None] | None = None,
    ) -> None:
        self.channel = channel
        self.clock = clock
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.delay = delay
        self.on_send = on_send
        self.calls: list[tuple[str, int, float]] = []
        self._running: defaultdict[str, int] = defaultdict(int)
        self.max_running_per_key = 0

    async def send(self, delivery: Delivery) -> Outcome:
        key = delivery.ordering_key or str(delivery.id)
        self._running[key] += 1
        self.max_running_per_key = max(self.max_running_per_key, self._running[key])
        self.calls.append((delivery.recipient, delivery.attempts, self.clock.monotonic()))
        try:
            if self.on_send:
                self.on_send(delivery)
            if self.delay:
                await asyncio.sleep(self.delay)
            steps = self.script.get(delivery.recipient)
            step = steps.pop(0) if steps else Sent(f"msg-{delivery.id}")
            if isinstance(step, Exception):
                raise step
            return step
        finally:
            self._running[key] -= 1

    async def close(self) -> None:
        return None


Script = dict[str, list[Outcome | Exception]]


@asynccontextmanager
async def scripted_runtime(
    database_url: str, clock: Clock, scripts: dict[str, Script]
) -> AsyncIterator[Runtime]:
    """A dev runtime on ``clock`` whose senders are ScriptedSenders, one per channel of
    ``scripts`` (each answering its recipients from its script)."""
    senders = {name: ScriptedSender(name, clock, script) for name, script in scripts.items()}
    runtime = Runtime.build(
        load_settings(env="dev", database_url=database_url), clock=clock, senders=senders
    )
    try:
        yield runtime
    finally:
        await runtime.close()
