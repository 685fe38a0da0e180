"""Channels that one worker process at a time may dispatch, held by database leases."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import structlog

from herald.queue.leases import Leases

log = structlog.get_logger("herald.worker")


class ExclusiveChannels:
    """Which exclusive channels this worker holds right now.

    One Telegram dispatcher per bot token: whoever holds ``telegram:<bot>`` sends for
    that bot, so its in-memory rate limits are the limits of every process together.
    """

    def __init__(
        self, leases: Leases | None, names: Mapping[str, str], holder: str, ttl: float
    ) -> None:
        if names and leases is None:
            raise ValueError("exclusive channels need a Leases store")
        self._leases = leases
        self._names = dict(names)
        self._holder = holder
        self._ttl = timedelta(seconds=ttl)
        self._held: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self._names)

    @property
    def renew_every(self) -> float:
        return self._ttl.total_seconds() / 3

    def may_dispatch(self, channel: str) -> bool:
        return channel not in self._names or channel in self._held

    async def hold(self) -> None:
        """Take or renew each lease; a channel whose lease someone else holds is dropped."""
        for channel, name in self._names.items():
            assert self._leases is not None
            if await self._leases.acquire(name, self._holder, self._ttl):
                if channel not in self._held:
                    log.info("channel_lease_taken", channel=channel, worker_id=self._holder)
                self._held.add(channel)
            else:
                self._held.discard(channel)

    async def release(self) -> None:
        for channel in list(self._held):
            assert self._leases is not None
            await self._leases.release(self._names[channel], self._holder)
            self._held.discard(channel)
