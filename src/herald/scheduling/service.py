"""The scheduling service: schedules changed (checked, and seen by this process's
scheduler at once), their rotation, and the in-process scheduler of ``herald serve``.

The API and the dashboard both change schedules through here, so both refuse the
same changes with the same errors (ScheduleRuleError naming the field, ScheduleExists).

APScheduler (AsyncIOScheduler) wakes us at slot times: it holds one job per enabled
schedule, with the same trigger the slot arithmetic uses, and calls the runner when a
slot's time comes. It decides nothing itself: the runner claims slots in the
database, so any number of ``serve`` processes can run this and each slot is still
posted once. A periodic sync re-reads the schedules (another process may have
created, paused or re-timed one) and also runs any schedule that is due, which covers
a slot whose wake-up was missed and the immediate slot of a schedule created with
post_on_start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from herald.clock import Clock
from herald.scheduling.content import ContentItem, ContentStore
from herald.scheduling.runner import SlotRunner
from herald.scheduling.schedules import (
    Schedule,
    ScheduleChanges,
    ScheduleKind,
    ScheduleRuleError,
    ScheduleSpec,
    ScheduleStore,
)

SYNC_JOB = "herald:sync"
UPCOMING = 5  # items shown of a schedule's rotation
log = structlog.get_logger("herald.scheduling")


@dataclass(frozen=True, slots=True)
class JobStatus:
    state: str  # scheduled, paused, not_running (no serve process here runs jobs)
    next_fire_time: datetime | None


@dataclass(frozen=True, slots=True)
class Rotation:
    position: int  # index of the next item in the playlist
    length: int
    upcoming: tuple[ContentItem, ...]  # the next items, in the order they will post


@dataclass(frozen=True, slots=True)
class ScheduleView:
    """A schedule as both faces show it: where its rotation is, and its job here."""

    schedule: Schedule
    rotation: Rotation
    job: JobStatus


def job_id(schedule_id: int) -> str:
    return f"schedule:{schedule_id}"


class SchedulerService:
    def __init__(
        self,
        store: ScheduleStore,
        runner: SlotRunner,
        clock: Clock,
        content: ContentStore,
        *,
        sync_seconds: float = 10.0,
    ) -> None:
        self._store = store
        self._content = content
        self._runner = runner
        self._clock = clock
        self._sync_seconds = sync_seconds
        self._scheduler: AsyncIOScheduler | None = None
        self._signatures: dict[int, tuple[Any, ...]] = {}
        self._lock = asyncio.Lock()

    # -- changes, shared by the API and the dashboard ---------------------------------

    async def create(self, spec: ScheduleSpec) -> Schedule:
        """Raises ScheduleRuleError for an unknown item, ScheduleExists for a taken name."""
        await self._known_items(spec.items)
        new_id = await self._store.create(spec)
        await self.changed()
        created = await self._store.get(new_id)
        assert created is not None
        return created

    async def update(self, schedule_id: int, changes: ScheduleChanges) -> Schedule | None:
        """The changed schedule, or None if there is none with this id."""
        current = await self._store.get(schedule_id)
        if current is None:
            return None
        if changes.items is not None:
            if current.kind is not ScheduleKind.PLAYLIST:
                raise ScheduleRuleError(("items",), "only a playlist schedule has items")
            if not changes.items:
                raise ScheduleRuleError(("items",), "a playlist needs at least one item")
            await self._known_items(changes.items)
        updated = await self._store.update(schedule_id, changes)
        await self.changed()
        return updated

    async def delete(self, schedule_id: int) -> bool:
        deleted = await self._store.delete(schedule_id)
        await self.changed()
        return deleted

    async def changed(self) -> None:
        """Let this process's scheduler see a change now (others see it at their sync)."""
        if self.running:
            await self.sync()

    async def _known_items(self, items: Sequence[int]) -> None:
        known = await self._content.many(items)
        for index, item in enumerate(items):
            if item not in known:
                raise ScheduleRuleError(("items", index), f"no guide or promo with id {item}")

    async def rotation(self, schedule: Schedule, count: int = UPCOMING) -> Rotation:
        """Where the schedule is in what it rotates through, and what comes next."""
        playlist = await self._runner.playlist(schedule)
        if not playlist:
            return Rotation(0, 0, ())
        position = schedule.position % len(playlist)
        upcoming = [playlist[(position + i) % len(playlist)] for i in range(count)]
        return Rotation(position, len(playlist), tuple(upcoming[: len(playlist)]))

    async def view(self, schedule: Schedule) -> ScheduleView:
        return ScheduleView(schedule, await self.rotation(schedule), self.job_status(schedule.id))

    # -- the jobs of ``herald serve`` --------------------------------------------------

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
