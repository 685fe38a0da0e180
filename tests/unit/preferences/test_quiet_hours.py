"""Quiet hours and daily caps in the recipient's zone, through DST gaps and folds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from herald.preferences import QuietHours
from herald.preferences.caps import ALL, CapPolicy, local_day, over
from herald.preferences.clock_math import first_instant, next_midnight
from herald.preferences.quiet import next_allowed

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")  # its clocks spring forward at midnight
NIGHT = QuietHours(time(22), time(7))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 1, 10, 23, 30), utc(2026, 1, 11, 7)),  # winter, tonight's part
        (utc(2026, 1, 11, 6, 59), utc(2026, 1, 11, 7)),  # this morning's part
        (utc(2026, 1, 11, 7), None),  # the end is not inside
        (utc(2026, 1, 11, 21, 59), None),
        (utc(2026, 1, 11, 22), utc(2026, 1, 12, 7)),  # the start is
        (utc(2026, 7, 1, 21, 30), utc(2026, 7, 2, 6)),  # 22:30 BST -> 07:00 BST
        (utc(2026, 7, 1, 20, 59), None),  # 21:59 BST
        # The night the clocks go forward (29 March 2026, 01:00 UTC): 07:00 BST.
        (utc(2026, 3, 28, 23), utc(2026, 3, 29, 6)),
        # The night they go back (25 October 2026, 01:00 UTC): 07:00 GMT.
        (utc(2026, 10, 24, 22), utc(2026, 10, 25, 7)),
    ],
)
def test_a_window_across_midnight_in_london(now: datetime, expected: datetime | None) -> None:
    assert next_allowed(now, NIGHT, LONDON) == expected


def test_a_window_ending_in_the_spring_gap_ends_at_the_transition() -> None:
    window = QuietHours(time(0), time(1, 30))  # 01:30 never shows on 29 March
    assert next_allowed(utc(2026, 3, 29, 0, 30), window, LONDON) == utc(2026, 3, 29, 1)
    assert first_instant(date(2026, 3, 29), time(1, 30), LONDON) == utc(2026, 3, 29, 1)


def test_a_window_ending_in_the_autumn_fold_ends_at_each_pass() -> None:
    window = QuietHours(time(0), time(1, 30))  # 01:00-02:00 shows twice on 1 November
    # 01:00 EDT: the first 01:30 (EDT) ends it.
    assert next_allowed(utc(2026, 11, 1, 5), window, NEW_YORK) == utc(2026, 11, 1, 5, 30)
    # 01:10 EST, the second pass: the clock shows 01:30 again at 06:30 UTC.
    assert next_allowed(utc(2026, 11, 1, 6, 10), window, NEW_YORK) == utc(2026, 11, 1, 6, 30)
    # 01:40 EST: outside.
    assert next_allowed(utc(2026, 11, 1, 6, 40), window, NEW_YORK) is None


def test_new_york_spring_forward_night() -> None:
    # 23:00 EST on 7 March; the window ends at 07:00 EDT on 8 March (11:00 UTC).
    assert next_allowed(utc(2026, 3, 8, 4), NIGHT, NEW_YORK) == utc(2026, 3, 8, 11)
    # 02:30 does not exist; 03:00 EDT is inside a 02:30-06:00 window.
    early = QuietHours(time(2, 30), time(6))
    assert next_allowed(utc(2026, 3, 8, 7), early, NEW_YORK) == utc(2026, 3, 8, 10)


def test_a_daytime_window_and_no_window() -> None:
    lunch = QuietHours(time(12), time(13, 30))
    assert next_allowed(utc(2026, 5, 5, 12, 15), lunch, ZoneInfo("UTC")) == utc(2026, 5, 5, 13, 30)
    assert next_allowed(utc(2026, 5, 5, 13, 30), lunch, ZoneInfo("UTC")) is None
    assert next_allowed(utc(2026, 5, 5, 3), None, LONDON) is None


def test_next_midnight_is_the_start_of_the_next_local_day() -> None:
    assert next_midnight(utc(2026, 3, 28, 22), LONDON) == utc(2026, 3, 29)
    assert next_midnight(utc(2026, 3, 29, 12), LONDON) == utc(2026, 3, 29, 23)  # BST
    assert next_midnight(utc(2026, 11, 1, 12), NEW_YORK) == utc(2026, 11, 2, 5)  # EST
    # Santiago skips 00:00-01:00 on 6 September 2026: the day starts at 01:00 -03.
    start = next_midnight(utc(2026, 9, 5, 12), SANTIAGO)
    assert start == utc(2026, 9, 6, 4)
    assert start.astimezone(SANTIAGO).time() == time(1)


def test_caps_count_by_the_category_that_has_its_own() -> None:
    policy = CapPolicy(daily=3, per_category={"promos": 1})
    assert policy.bucket("promos") == ("promos", 1)
    assert policy.bucket("signals") == (ALL, 3)
    assert policy.bucket(None) == (ALL, 3)
    assert not over(0, 1) and over(1, 1) and not over(100, None)
    assert not CapPolicy().any and CapPolicy(per_category={"x": 0}).any
    # The recipient's day, not UTC's: 23:30 UTC is already tomorrow in Tokyo.
    assert local_day(utc(2026, 1, 1, 23, 30), ZoneInfo("Asia/Tokyo")) == date(2026, 1, 2)
