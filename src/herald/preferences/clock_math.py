"""Wall-clock times in a zone as instants, through daylight-saving gaps and folds (pure).

A wall time inside a spring-forward gap never shows on the clock: the first instant at
or after it is the transition itself. A wall time a fall-back fold shows twice is taken
at its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def first_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the clock in ``zone`` shows ``day`` ``wall`` or
    later."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first  # it exists (fold=0: the first of two, in a fold)
    # In a gap: fold=1 reads the wall time with the offset after the transition, an
    # instant before the gap; fold=0 with the one before it, an instant after. Between
    # them lies the transition, the first instant the clock shows ``wall`` or later.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    low, high = min(low, high), max(low, high)
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(zone).replace(tzinfo=None) >= naive:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0) if high.microsecond else high


def next_midnight(now: datetime, zone: ZoneInfo) -> datetime:
    """The start (UTC) of the next local day in ``zone`` after ``now``."""
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return first_instant(tomorrow, time(0), zone)
