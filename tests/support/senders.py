"""Senders for worker tests: they answer from a script instead of a provider."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

from herald.clock import Clock
from herald.queue import Delivery, Outcome, Sent


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
