"""Quiet hours: when a campaign message may be sent in the recipient's own time (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from herald.preferences.clock_math import first_instant
from herald.preferences.model import QuietHours


def inside(window: QuietHours, local: datetime) -> bool:
    """Whether the wall time ``local`` (any zone's) falls in ``window``, start included,
    end excluded."""
    t = local.time().replace(tzinfo=None)
    if window.start < window.end:
        return window.start <= t < window.end
    return t >= window.start or t < window.end  # across midnight


def next_allowed(now: datetime, window: QuietHours | None, zone: ZoneInfo) -> datetime | None:
    """None if ``now`` is outside ``window`` in ``zone``; else the instant (UTC) it ends,
    the first instant the local clock shows its end (DST gaps and folds handled)."""
    if window is None:
        return None
    local = now.astimezone(zone)
    if not inside(window, local):
        return None
    day = local.date()
    if window.start > window.end and local.time().replace(tzinfo=None) >= window.start:
        day += timedelta(days=1)  # in tonight's part of a window across midnight
    end = first_instant(day, window.end, zone)
    if end <= now:
        # In the second pass of a fall-back fold: the clock shows the end again later.
        end = datetime.combine(day, window.end, zone).replace(fold=1).astimezone(UTC)
    return end if end > now else None
