"""The in-process scheduler of ``herald serve``: APScheduler wakes us at slot times.

APScheduler (AsyncIOScheduler) holds one job per enabled schedule, with the same
trigger the slot arithmetic uses, and calls the runner when a slot's time comes. It
decides nothing itself: the runner claims slots in the database, so any number of
``serve`` processes can run this and each slot is still posted once. A periodic sync
re-reads the schedules (another process may have created, paused or re-timed one)
and also runs any schedule that is due, which covers a slot whose wake-up was missed
and the immediate slot of a schedule created with post_on_start.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from herald.clock import Clock
from herald.scheduling.runner import SlotRunner
from herald.scheduling.schedules import Schedule, ScheduleStore

SYNC_JOB = "herald:sync"
log = structlog.get_logger("herald.scheduling")


@dataclass(frozen=True, slots=True)
class JobStatus:
    state: str  # scheduled, paused, not_running (no serve process here runs jobs)
    next_fire_time: datetime | None


def job_id(schedule_id: int) -> str:
    return f"schedule:{schedule_id}"


class SchedulerService:
    def __init__(
        self,
        store: ScheduleStore,
        runner: SlotRunner,
        clock: Clock,
        *,
        sync_seconds: float = 10.0,
    ) -> None:
        self._store = store
        self._runner = runner
        self._clock = clock
        self._sync_seconds = sync_seconds
        self._scheduler: AsyncIOScheduler | None = None
        self._signatures: dict[int, tuple[Any, ...]] = {}
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    async def start(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler.start()
        self._scheduler.add_job(
            self.sync,
            "interval",
            seconds=self._sync_seconds,
            id=SYNC_JOB,
            coalesce=True,
            max_instances=1,
        )
        await self.sync()

    async def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._scheduler = None
        self._signatures.clear()

    async def sync(self) -> None:
        """Make the jobs match the database, then run whatever is due."""
        async with self._lock:
            try:
                found = await self._store.all()
            except Exception as exc:  # the database is away: keep the jobs we have
                log.warning("schedule_sync_failed", error=str(exc).splitlines()[0])
                return
            self._reconcile(found)
            now = self._clock.now()
            due = [s for s in found if s.enabled and s.next_slot_at and s.next_slot_at <= now]
        for schedule in due:
            await self.fire(schedule.id)

    def _reconcile(self, found: list[Schedule]) -> None:
        scheduler = self._scheduler
        if scheduler is None:
            return
        wanted = {s.id: s for s in found if s.enabled}
        for schedule_id in list(self._signatures):
            if schedule_id not in wanted:
                scheduler.remove_job(job_id(schedule_id))
                del self._signatures[schedule_id]
        for schedule_id, schedule in wanted.items():
            signature = (schedule.cadence, schedule.anchor_at)
            if self._signatures.get(schedule_id) == signature:
                continue
            scheduler.add_job(
                self.fire,
                schedule.cadence.trigger(schedule.anchor_at),
                args=[schedule_id],
                id=job_id(schedule_id),
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,  # the runner applies the grace period
            )
            self._signatures[schedule_id] = signature

    async def fire(self, schedule_id: int) -> None:
        try:
            await self._runner.run_due(schedule_id)
        except Exception as exc:  # a failed run must not kill the scheduler's job
            log.error("schedule_run_failed", schedule_id=schedule_id, error=str(exc))

    def job_status(self, schedule_id: int) -> JobStatus:
        if self._scheduler is None:
            return JobStatus("not_running", None)
        job = self._scheduler.get_job(job_id(schedule_id))
        if job is None:
            return JobStatus("paused", None)
        return JobStatus("scheduled", job.next_run_time)
