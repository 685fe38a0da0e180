"""When a schedule's slots fall, and which slot is due now: pure functions of time.

Slots are computed with APScheduler's own triggers, so the times the in-process
scheduler wakes at and the slot times every process agrees on are the same. An
interval schedule's slots are ``anchor + k * interval`` (the anchor is when it was
created, re-timed or resumed), so every replica computes the same instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

TICK = timedelta(microseconds=1)
MAX_STEPS = 100_000  # slots walked in one plan; a bound, not a behaviour


@dataclass(frozen=True, slots=True)
class Cadence:
    """Every ``interval_seconds``, or at the times of a cron expression in ``timezone``."""

    interval_seconds: int | None = None
    cron: str | None = None
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if (self.interval_seconds is None) == (self.cron is None):
            raise ValueError("give exactly one of interval_seconds and cron")
        if self.interval_seconds is not None and self.interval_seconds < 1:
            raise ValueError("interval_seconds must be at least 1")
        zone(self.timezone)
        if self.cron is not None:
            self.trigger(datetime(2026, 1, 1, tzinfo=UTC))  # a bad expression fails here

    def trigger(self, anchor: datetime) -> BaseTrigger:
        tz = zone(self.timezone)
        if self.cron is not None:
            try:
                return CronTrigger.from_crontab(self.cron, timezone=tz)
            except ValueError as exc:
                raise ValueError(f"bad cron expression {self.cron!r}: {exc}") from None
        assert self.interval_seconds is not None
        return IntervalTrigger(seconds=self.interval_seconds, start_date=anchor, timezone=tz)

    def next_after(self, anchor: datetime, moment: datetime) -> datetime:
        """The first slot strictly after ``moment``."""
        fire: datetime | None = self.trigger(anchor).get_next_fire_time(None, moment + TICK)
        assert fire is not None  # no end_date: there is always a next one
        return fire.astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (an IANA name such as Europe/Berlin)"
        ) from None


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """What to do with a schedule that is due.

    ``slot`` is the slot to post now (None: every slot that passed is past the grace
    period and is skipped); ``missed`` counts the slots passed over; ``next_slot`` is
    the first slot after now, where the schedule waits next.
    """

    slot: datetime | None
    missed: int
    latest_missed: datetime | None
    next_slot: datetime


def plan(
    cadence: Cadence, anchor: datetime, due_at: datetime, now: datetime, grace: timedelta
) -> SlotPlan | None:
    """The slot to post when the schedule waits at ``due_at`` and it is ``now``.

    Only the latest slot that has passed can be posted, and only within ``grace`` of
    its time: a recovery after a long outage posts once, never a burst of catch-ups.
    ``due_at`` itself may be off the grid (the immediate slot of post_on_start).
    """
    if due_at > now:
        return None
    count, last, before_last = _grid_between(cadence, anchor, due_at, now)
    latest = last or due_at
    previous = before_last if count >= 2 else (due_at if count == 1 else None)
    next_slot = cadence.next_after(anchor, now)
    if latest < now - grace:
        return SlotPlan(slot=None, missed=count + 1, latest_missed=latest, next_slot=next_slot)
    return SlotPlan(slot=latest, missed=count, latest_missed=previous, next_slot=next_slot)


def _grid_between(
    cadence: Cadence, anchor: datetime, after: datetime, until: datetime
) -> tuple[int, datetime | None, datetime | None]:
    """How many slots fall in ``(after, until]``, the last of them and the one before it.

    Arithmetic for intervals, so a long outage costs nothing; a walk for cron (bounded).
    """
    if cadence.interval_seconds is not None:
        step = timedelta(seconds=cadence.interval_seconds)
        first = (after - anchor) // step + 1
        last = (until - anchor) // step
        count = max(0, last - first + 1)
        if not count:
            return 0, None, None
        return count, anchor + last * step, anchor + (last - 1) * step if count >= 2 else None
    count, last_slot, before = 0, None, None
    slot = cadence.next_after(anchor, after)
    while slot <= until and count < MAX_STEPS:
        count, before, last_slot = count + 1, last_slot, slot
        slot = cadence.next_after(anchor, slot)
    return count, last_slot, before


def first_slot(
    cadence: Cadence, anchor: datetime, now: datetime, *, post_on_start: bool
) -> datetime:
    """Where a schedule created, re-timed or resumed at ``now`` first waits."""
    return now if post_on_start else cadence.next_after(anchor, now)
