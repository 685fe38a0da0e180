"""Long polling: getUpdates in a loop, each update handled, then confirmed by offset.

Telegram serves getUpdates to one consumer at a time (a second one gets 409
Conflict), so with several ``serve`` replicas only the holder of the database lease
``telegram-updates:<bot>`` polls; another takes over when it stops renewing. An
update is confirmed (the next offset) only after it was handled, so a crash or a
hand-over re-reads it; handling is idempotent where it matters (a reply's
idempotency key is the chat and message id). Errors back off up to a minute.

A button press is handled once its click is stored; its answerCallbackQuery (which
only stops the user's spinner) is sent in the background while the next batch is
fetched, so a burst is not paced by one round trip per batch of answers. At most
``ANSWER_BATCHES_BEHIND`` batches of answers are in flight; beyond that the poller
waits (back-pressure). A crash between the two loses an answer, never a click: the
client's spinner stops by itself.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import structlog

from herald.bot.callbacks import CallbackAnswerer
from herald.bot.updates import UpdateHandler
from herald.channels.telegram.errors import TelegramCallError
from herald.clock import Clock
from herald.queue import RetryAfter
from herald.queue.leases import Leases

log = structlog.get_logger("herald.bot")
WEBHOOK_CONFLICT_HINT = (
    "a webhook is set: run `herald telegram delete-webhook`, or serve with "
    "HERALD_TELEGRAM_UPDATES=webhook"
)
ANSWER_BATCHES_BEHIND = 10


class UpdateSource(Protocol):
    async def get_updates(self, offset: int | None, wait: float | None = None) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class PollLease:
    leases: Leases
    name: str
    holder: str
    ttl: float = 30.0


class Poller:
    def __init__(
        self,
        source: UpdateSource,
        handler: UpdateHandler,
        clock: Clock,
        *,
        lease: PollLease | None = None,
        poll_seconds: float = 10.0,
        max_backoff: float = 60.0,
        answerer: CallbackAnswerer | None = None,
    ) -> None:
        if lease is not None and poll_seconds >= lease.ttl / 2:
            raise ValueError("poll_seconds must be under half the lease ttl")
        self._source = source
        self._handler = handler
        self._clock = clock
        self._lease = lease
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff
        self._holding = False
        self.offset: int | None = None
        # Presses' answers sent in the background (None: each press answers itself).
        self._answerer = answerer
        self._answering: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        log.info("telegram_polling_started")
        backoff = 1.0
        try:
            while not stop.is_set():
                if not await self._hold():
                    await self._pause(stop, (self._lease.ttl if self._lease else 30.0) / 3)
                    continue
                try:
                    updates = await self._poll(stop)
                except TelegramCallError as exc:
                    outcome = exc.outcome
                    wait = outcome.seconds if isinstance(outcome, RetryAfter) else backoff
                    conflict = "conflict" in str(exc).lower()
                    log.warning(
                        "telegram_polling_failed",
                        error=str(exc),
                        retry_in=wait,
                        hint=WEBHOOK_CONFLICT_HINT if conflict else None,
                    )
                    await self._pause(stop, wait)
                    backoff = min(backoff * 2, self._max_backoff)
                    continue
                if updates is None:
                    break
                backoff = 1.0
                await self._handle_batch(updates)
        finally:
            await asyncio.gather(*self._answering, return_exceptions=True)
            await self._let_go()
            log.info("telegram_polling_stopped")

    async def _handle_batch(self, updates: list[Any]) -> None:
        """Button presses at once (a burst after a popular post), messages in order;
        then confirm the whole batch."""
        presses = [u for u in updates if isinstance(u, dict) and "callback_query" in u]
        rest = [u for u in updates if not (isinstance(u, dict) and "callback_query" in u)]

        async def in_order() -> None:
            for update in rest:
                await self._handler.handle(update)

        answers: list[dict[str, Any]] | None = [] if self._answerer is not None else None
        await asyncio.gather(in_order(), *(self._handler.handle(u, answers) for u in presses))
        ids = [u.get("update_id") for u in updates if isinstance(u, dict)]
        numbers = [i for i in ids if isinstance(i, int)]
        if numbers:
            self.offset = max(numbers) + 1
        if answers:
            await self._answer_later(answers)

    async def _answer_later(self, answers: list[dict[str, Any]]) -> None:
        while len(self._answering) >= ANSWER_BATCHES_BEHIND:
            await asyncio.wait(self._answering, return_when=asyncio.FIRST_COMPLETED)
        task = asyncio.create_task(self._answer_all(answers))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer_all(self, answers: list[dict[str, Any]]) -> None:
        assert self._answerer is not None
        answerer = self._answerer
        done = await asyncio.gather(
            *(
                answerer.answer_callback(
                    a["callback_query_id"], text=a.get("text"), url=a.get("url")
                )
                for a in answers
            ),
            return_exceptions=True,
        )
        failed = [r for r in done if isinstance(r, BaseException)]
        if failed:  # too old, or Telegram is away: nothing to retry
            log.warning("callback_answer_failed", n=len(failed), error=str(failed[0]))

    @property
    def holding(self) -> bool:
        """Whether this process is the one polling right now."""
        return self._holding

    async def _hold(self) -> bool:
        """Take or renew the polling lease (always True without one)."""
        if self._lease is None:
            return True
        lease = self._lease
        try:
            held = await lease.leases.acquire(
                lease.name, lease.holder, timedelta(seconds=lease.ttl)
            )
        except Exception as exc:  # the database is away: stop polling until it is back
            log.warning("telegram_polling_lease_failed", error=str(exc).splitlines()[0])
            held = False
        if held != self._holding:
            log.info("telegram_polling_lease", held=held, holder=lease.holder)
            if held:
                self.offset = None  # start from what Telegram still holds unconfirmed
        self._holding = held
        return held

    async def _let_go(self) -> None:
        if self._lease is not None and self._holding:
            try:
                await self._lease.leases.release(self._lease.name, self._lease.holder)
            except Exception as exc:  # it expires by itself
                log.warning("telegram_polling_lease_failed", error=str(exc).splitlines()[0])
            self._holding = False

    async def _poll(self, stop: asyncio.Event) -> list[Any] | None:
        """The next updates, or None when ``stop`` was set while waiting for them."""
        poll = asyncio.ensure_future(self._source.get_updates(self.offset, self._poll_seconds))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({poll, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not poll.done():
            poll.cancel()
            await asyncio.gather(poll, return_exceptions=True)
            return None
        stopped.cancel()
        return poll.result()

    async def _pause(self, stop: asyncio.Event, seconds: float) -> None:
        sleep = asyncio.ensure_future(self._clock.sleep(seconds))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({sleep, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (sleep, stopped):
            task.cancel()
        await asyncio.gather(sleep, stopped, return_exceptions=True)
