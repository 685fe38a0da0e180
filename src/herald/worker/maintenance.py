"""The worker's maintenance pass: what a crash or time leaves behind, put right.

It runs at start, then every min(15 s, half a lease), and at the start of a drain:
expired leases go back to ``pending`` (or ``dead`` after their last attempt), the
observer catches up from the database, and sent rows (and events) past retention are
pruned.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from herald.events.prune import prune as prune_events
from herald.metrics import Metrics
from herald.queue import DeliveryQueue
from herald.queue import admin as queue_admin
from herald.worker.observer import WorkerObserver

log = structlog.get_logger("herald.worker")


class Maintenance:
    def __init__(
        self,
        queue: DeliveryQueue,
        holder: str,
        metrics: Metrics,
        observer: WorkerObserver | None,
        retention: timedelta | None,
    ) -> None:
        self._queue = queue
        self._holder = holder
        self._metrics = metrics
        self._observer = observer
        self._retention = retention

    async def rescue(self) -> int:
        """Expired leases of other holders back to the queue; returns how many."""
        rescued = await queue_admin.rescue_expired(self._queue, except_holder=self._holder)
        if rescued:
            self._metrics.rescued.inc(rescued)
            log.warning("leases_rescued", count=rescued)
        return rescued

    async def run(self) -> None:
        await self.rescue()
        if self._observer is not None:
            await self._observer.maintain()
        if self._retention is not None:
            pruned = await queue_admin.prune_sent(self._queue, self._retention)
            if pruned:
                log.info("deliveries_pruned", count=pruned)
            before = self._queue.clock.now() - self._retention
            if pruned_events := await prune_events(self._queue.db, before):
                log.info("events_pruned", count=pruned_events)
