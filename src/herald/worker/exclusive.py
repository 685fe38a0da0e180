"""Channels that one worker process at a time may dispatch, held by database leases."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import structlog

from herald.queue.leases import Leases
from herald.worker.channel import ChannelState

log = structlog.get_logger("herald.worker")


class ExclusiveChannels:
    """Takes, renews and gives up the leases of the channels whose plan names one, and
    says in each ``ChannelState.held`` whether this worker may dispatch it now.

    One Telegram dispatcher per bot token: whoever holds ``telegram:<bot>`` sends for
    that bot, so its in-memory rate limits are the limits of every process together.
    """

    def __init__(
        self, leases: Leases | None, states: Iterable[ChannelState], holder: str, ttl: float
    ) -> None:
        self._states = [s for s in states if s.plan.exclusive is not None]
        if self._states and leases is None:
            raise ValueError("exclusive channels need a Leases store")
        self._leases = leases
        self._holder = holder
        self._ttl = timedelta(seconds=ttl)

    def __bool__(self) -> bool:
        return bool(self._states)

    @property
    def renew_every(self) -> float:
        return self._ttl.total_seconds() / 3

    async def hold(self) -> None:
        """Take or renew each lease; a channel whose lease someone else holds is dropped."""
        for state in self._states:
            assert self._leases is not None and state.plan.exclusive is not None
            if await self._leases.acquire(state.plan.exclusive, self._holder, self._ttl):
                if not state.held:
                    log.info("channel_lease_taken", channel=state.name, worker_id=self._holder)
                state.held = True
            else:
                state.held = False

    async def release(self) -> None:
        for state in self._states:
            if state.held:
                assert self._leases is not None and state.plan.exclusive is not None
                await self._leases.release(state.plan.exclusive, self._holder)
                state.held = False
