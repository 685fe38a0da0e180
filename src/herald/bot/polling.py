"""Long polling: getUpdates in a loop, each update handled, then confirmed by offset.

An update is confirmed (the next offset) only after it was handled, so a crash
re-reads it; handling is idempotent where it matters (a reply's idempotency key is
the chat and message id). Errors back off up to a minute; a 409 (a webhook is set)
is logged with what to do.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import structlog

from herald.bot.updates import UpdateHandler
from herald.channels.telegram.errors import TelegramCallError
from herald.clock import Clock
from herald.queue import RetryAfter

log = structlog.get_logger("herald.bot")


class UpdateSource(Protocol):
    async def get_updates(self, offset: int | None, wait: float | None = None) -> list[Any]: ...


class Poller:
    def __init__(
        self, source: UpdateSource, handler: UpdateHandler, clock: Clock, *, max_backoff: float = 60
    ) -> None:
        self._source = source
        self._handler = handler
        self._clock = clock
        self._max_backoff = max_backoff
        self.offset: int | None = None

    async def run(self, stop: asyncio.Event) -> None:
        log.info("telegram_polling_started")
        backoff = 1.0
        while not stop.is_set():
            poll = asyncio.ensure_future(self._source.get_updates(self.offset))
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({poll, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not poll.done():
                poll.cancel()
                await asyncio.gather(poll, return_exceptions=True)
                break
            stopped.cancel()
            try:
                updates = poll.result()
            except TelegramCallError as exc:
                outcome = exc.outcome
                wait = outcome.seconds if isinstance(outcome, RetryAfter) else backoff
                log.warning("telegram_polling_failed", error=str(exc), retry_in=wait)
                await self._pause(stop, wait)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff = 1.0
            for update in updates:
                await self._handler.handle(update)
                if isinstance(update, dict) and isinstance(update.get("update_id"), int):
                    self.offset = update["update_id"] + 1
        log.info("telegram_polling_stopped")

    async def _pause(self, stop: asyncio.Event, seconds: float) -> None:
        sleep = asyncio.ensure_future(self._clock.sleep(seconds))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({sleep, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (sleep, stopped):
            task.cancel()
        await asyncio.gather(sleep, stopped, return_exceptions=True)
