"""Waking idle workers when work arrives.

In one process an ``asyncio.Event`` is enough. Across processes on PostgreSQL the
enqueuing transaction issues ``pg_notify`` and every worker LISTENs; on SQLite the
worker falls back to short polling. Polling always runs too, as the safety net.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

import structlog

from herald.db import Database

CHANNEL = "herald_deliveries"
log = structlog.get_logger(__name__)


class Wakeup:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        # Bumped whenever new work may be due, so the dispatcher knows that a channel
        # it found empty is worth asking again: for every channel, or for those named.
        self.generation = 0
        self._channels: dict[str, int] = {}

    def notify(self) -> None:
        """Wake the dispatcher (a send slot freed up, or it should stop)."""
        self._event.set()

    def work_arrived(self, channels: Iterable[str] | None = None) -> None:
        """Deliveries were queued, replayed or rescued somewhere (on ``channels`` only,
        when the caller knows: an alert for Telegram need not make the email and push
        dispatchers claim again, which on SQLite is a write each)."""
        if channels is None:
            self.generation += 1
        else:
            for channel in channels:
                self._channels[channel] = self._channels.get(channel, 0) + 1
        self._event.set()

    def generation_of(self, channel: str) -> tuple[int, int]:
        """Changes whenever work may have arrived for ``channel``."""
        return self.generation, self._channels.get(channel, 0)

    async def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for a notification; True if one came."""
        try:
            async with asyncio.timeout(seconds):
                await self._event.wait()
        except TimeoutError:
            return False
        finally:
            self._event.clear()
        return True


class PostgresListener:
    """Holds one connection that LISTENs and turns notifications into local wake-ups."""

    def __init__(self, db: Database, wakeup: Wakeup) -> None:
        self._db = db
        self._wakeup = wakeup
        self._conn: Any = None
        self._raw: Any = None

    async def start(self) -> None:
        try:
            self._conn = await self._db.engine.connect()
            self._raw = await self._conn.get_raw_connection()
            await self._raw.driver_connection.add_listener(CHANNEL, self._on_notify)
        except Exception as exc:  # polling still works; LISTEN is an optimisation
            log.warning("listen_unavailable", error=str(exc).splitlines()[0] if str(exc) else "")
            await self.stop()

    def _on_notify(self, *_args: Any) -> None:
        self._wakeup.work_arrived()

    @property
    def listening(self) -> bool:
        return self._raw is not None and not self._raw.driver_connection.is_closed()

    async def ensure(self) -> None:
        """LISTEN again if the connection died (the database restarted): its
        notifications would otherwise be lost until the worker restarts."""
        if self.listening:
            return
        await self.stop()
        await self.start()
        if self.listening:
            log.info("listen_restored")
            self._wakeup.work_arrived()  # what was queued meanwhile went unannounced

    async def stop(self) -> None:
        if self._raw is not None:
            with contextlib.suppress(Exception):
                await self._raw.driver_connection.remove_listener(CHANNEL, self._on_notify)
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
        self._conn = self._raw = None
