"""Cadences and slot planning: every process must compute the same instants, and a late
or recovering process must post at most one slot, never a burst of catch-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herald.scheduling.cadence import Cadence, SlotPlan, first_slot, plan

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
TICK = timedelta(microseconds=1)
BERLIN = ZoneInfo("Europe/Berlin")
HOURLY = Cadence(interval_seconds=3600)
ANCHOR = T0 + timedelta(minutes=17)  # off the hour, so grid slots are easy to tell apart


def slot(k: int) -> datetime:
    """The k-th slot of HOURLY anchored at ANCHOR."""
    return ANCHOR + k * HOUR


def assert_utc(moment: datetime) -> None:
    assert moment.tzinfo is UTC, f"{moment!r} should be in UTC"


# -- Cadence construction ----------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"interval_seconds": 60, "cron": "* * * * *"}, {"timezone": "Europe/Berlin"}],
)
def test_exactly_one_of_interval_and_cron_is_required(kwargs: dict[str, object]) -> None:
    """Neither or both would leave it ambiguous when the schedule fires."""
    with pytest.raises(ValueError, match="exactly one of interval_seconds and cron"):
        Cadence(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("seconds", [0, -1, -3600])
def test_interval_below_one_second_is_refused(seconds: int) -> None:
    """A zero or negative interval would make every instant a slot (or none)."""
    with pytest.raises(ValueError, match="interval_seconds must be at least 1"):
        Cadence(interval_seconds=seconds)


def test_interval_of_one_second_is_accepted() -> None:
    assert Cadence(interval_seconds=1).interval_seconds == 1


@pytest.mark.parametrize(
    "expression", ["nope", "", "* * *", "61 * * * *", "* 25 * * *", "* * * * * * *"]
)
def test_bad_cron_expression_is_refused_when_built(expression: str) -> None:
    """A bad expression fails at construction, naming itself, not later in the scheduler."""
    with pytest.raises(ValueError, match="bad cron expression") as excinfo:
        Cadence(cron=expression)
    assert repr(expression) in str(excinfo.value)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "Europe/Berlinn", "CEST"])
@pytest.mark.parametrize("kind", ["interval", "cron"])
def test_unknown_time_zone_is_refused_with_a_clear_message(name: str, kind: str) -> None:
    """The message names the bad zone and the kind of name expected."""
    every = {"interval_seconds": 60} if kind == "interval" else {"cron": "0 9 * * *"}
    with pytest.raises(ValueError, match="unknown time zone") as excinfo:
        Cadence(timezone=name, **every)  # type: ignore[arg-type]
    message = str(excinfo.value)
    assert repr(name) in message
    assert "Europe/Berlin" in message


def test_valid_cron_in_a_zone_is_accepted() -> None:
    cadence = Cadence(cron="0 9 * * 1-5", timezone="Europe/Berlin")
    assert cadence.cron == "0 9 * * 1-5"
    assert cadence.timezone == "Europe/Berlin"


# -- next_after: interval -----------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (ANCHOR - timedelta(days=3), slot(0)),  # before the anchor: the anchor itself
        (ANCHOR - TICK, slot(0)),
        (ANCHOR, slot(1)),  # strictly after: a slot is not its own next
        (ANCHOR + TICK, slot(1)),
        (slot(1) - TICK, slot(1)),
        (slot(1), slot(2)),
        (slot(5) + 30 * MINUTE, slot(6)),
        (slot(1000), slot(1001)),
    ],
)
def test_interval_next_after_is_the_first_grid_slot_strictly_after(
    moment: datetime, expected: datetime
) -> None:
    """Slots are anchor + k * interval, so every replica agrees on them."""
    got = HOURLY.next_after(ANCHOR, moment)
    assert got == expected
    assert_utc(got)


@given(
    interval=st.integers(min_value=1, max_value=7 * 86_400),
    offset=st.integers(min_value=-86_400_000_000, max_value=400 * 86_400_000_000),
)
def test_interval_next_after_property(interval: int, offset: int) -> None:
    """For any moment: on the grid, strictly after it, and no grid slot skipped between."""
    cadence = Cadence(interval_seconds=interval)
    moment = ANCHOR + timedelta(microseconds=offset)
    got = cadence.next_after(ANCHOR, moment)
    step = timedelta(seconds=interval)
    assert got > moment
    assert (got - ANCHOR) % step == timedelta(0)
    assert got >= ANCHOR
    assert got == ANCHOR or got - step <= moment


def test_interval_in_a_dst_zone_keeps_absolute_spacing() -> None:
    """An interval is elapsed time: a DST change must not stretch or shrink a slot."""
    cadence = Cadence(interval_seconds=3600, timezone="Europe/Berlin")
    anchor = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # the night clocks go forward
    moment, slots = anchor, []
    for _ in range(6):
        moment = cadence.next_after(anchor, moment)
        slots.append(moment)
    assert slots == [anchor + k * HOUR for k in range(1, 7)]
    for s in slots:
        assert_utc(s)


# -- next_after: cron ---------------------------------------------------------------


def test_cron_next_after_is_strictly_after() -> None:
    """A moment exactly on a cron time gets the following one."""
    cadence = Cadence(cron="*/15 * * * *")
    at = datetime(2026, 1, 1, 10, 15, tzinfo=UTC)
    assert cadence.next_after(T0, at) == datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
    assert cadence.next_after(T0, at - TICK) == at


def test_cron_slots_do_not_depend_on_the_anchor() -> None:
    """Cron times are wall-clock times: the anchor only matters for intervals."""
    cadence = Cadence(cron="0 * * * *")
    moment = datetime(2026, 2, 1, 10, 30, tzinfo=UTC)
    expected = datetime(2026, 2, 1, 11, 0, tzinfo=UTC)
    assert cadence.next_after(T0, moment) == expected
    assert cadence.next_after(moment - timedelta(days=20), moment) == expected


def test_cron_in_berlin_follows_local_time_across_spring_forward() -> None:
    """09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer; results are UTC."""
    cadence = Cadence(cron="0 9 * * *", timezone="Europe/Berlin")
    moment = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    slots = []
    for _ in range(4):
        moment = cadence.next_after(T0, moment)
        slots.append(moment)
    assert slots == [
        datetime(2026, 3, 28, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 7, 0, tzinfo=UTC),  # the clocks went forward that night
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 7, 0, tzinfo=UTC),
    ]
    for s in slots:
        assert_utc(s)
        local = s.astimezone(BERLIN)
        assert (local.hour, local.minute) == (9, 0)


def test_cron_in_berlin_follows_local_time_across_fall_back() -> None:
    cadence = Cadence(cron="0 9 * * *", timezone="Europe/Berlin")
    moment = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    first = cadence.next_after(T0, moment)
    second = cadence.next_after(T0, first)
    assert first == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)  # the clocks went back that night
    assert second == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert_utc(first)
    assert_utc(second)


def test_cron_at_a_time_skipped_by_spring_forward_fires_once_that_day() -> None:
    """02:30 does not exist in Berlin on 2026-03-29; the day still gets one slot, after 02:00."""
    cadence = Cadence(cron="30 2 * * *", timezone="Europe/Berlin")
    change = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET becomes 03:00 CEST
    day_start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # local midnight
    day_end = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # the next local midnight (CEST)
    moment, that_day = day_start, []
    while (moment := cadence.next_after(T0, moment)) < day_end:
        that_day.append(moment)
    assert len(that_day) == 1
    assert that_day[0] >= change
    assert_utc(that_day[0])


# -- plan -----------------------------------------------------------------------------


def test_not_due_yet_is_none() -> None:
    """A schedule waiting for a later slot has nothing to do."""
    assert plan(HOURLY, ANCHOR, slot(1), slot(1) - TICK, HOUR) is None
    assert plan(HOURLY, ANCHOR, slot(1), slot(0), HOUR) is None


def test_due_exactly_posts_that_slot() -> None:
    assert plan(HOURLY, ANCHOR, slot(1), slot(1), HOUR) == SlotPlan(
        slot=slot(1), missed=0, latest_missed=None, next_slot=slot(2)
    )


def test_a_little_late_within_grace_still_posts_the_slot() -> None:
    decided = plan(HOURLY, ANCHOR, slot(1), slot(1) + 5 * MINUTE, 10 * MINUTE)
    assert decided == SlotPlan(slot=slot(1), missed=0, latest_missed=None, next_slot=slot(2))


def test_several_missed_slots_within_grace_post_only_the_latest() -> None:
    """A recovery posts once; the slots passed over are counted, not posted."""
    decided = plan(HOURLY, ANCHOR, slot(1), slot(4) + 10 * MINUTE, timedelta(hours=6))
    assert decided == SlotPlan(slot=slot(4), missed=3, latest_missed=slot(3), next_slot=slot(5))


def test_a_slot_older_than_grace_is_skipped() -> None:
    """Past the grace period nothing is posted; the schedule waits for the next slot."""
    now = slot(1) + 30 * MINUTE
    decided = plan(HOURLY, ANCHOR, slot(1), now, 10 * MINUTE)
    assert decided is not None
    assert decided.slot is None
    assert decided.missed == 1
    assert decided.latest_missed == slot(1)
    assert decided.next_slot == slot(2)
    assert decided.next_slot > now


def test_skipped_after_a_long_outage_waits_for_the_first_slot_after_now() -> None:
    now = slot(7) + 30 * MINUTE
    decided = plan(HOURLY, ANCHOR, slot(1), now, 10 * MINUTE)
    assert decided is not None
    assert decided.slot is None
    assert decided.missed >= 1
    assert decided.next_slot == slot(8)


def test_long_outage_posts_the_latest_slot_still_within_grace() -> None:
    """Slots older than grace are never posted, but the one inside it is."""
    decided = plan(HOURLY, ANCHOR, slot(1), slot(6) + 5 * MINUTE, HOUR)
    assert decided is not None
    assert decided.slot == slot(6)
    assert decided.next_slot == slot(7)


def test_missed_counts_every_slot_passed_over_after_a_long_outage() -> None:
    """Waiting at slot 1 and waking after slot 6: slots 1-5 were passed over."""
    decided = plan(HOURLY, ANCHOR, slot(1), slot(6) + 5 * MINUTE, HOUR)
    assert decided == SlotPlan(slot=slot(6), missed=5, latest_missed=slot(5), next_slot=slot(7))


def test_post_on_start_slot_off_the_cron_grid_is_posted() -> None:
    """post_on_start waits at the creation instant itself, which is no cron time."""
    cadence = Cadence(cron="0 * * * *")
    created = datetime(2026, 1, 1, 10, 17, 42, tzinfo=UTC)
    decided = plan(cadence, created, created, created + timedelta(seconds=2), HOUR)
    assert decided == SlotPlan(
        slot=created,
        missed=0,
        latest_missed=None,
        next_slot=datetime(2026, 1, 1, 11, 0, tzinfo=UTC),
    )


def test_post_on_start_slot_overtaken_by_a_cron_slot_posts_the_cron_slot() -> None:
    cadence = Cadence(cron="0 * * * *")
    created = datetime(2026, 1, 1, 10, 17, 42, tzinfo=UTC)
    decided = plan(cadence, created, created, datetime(2026, 1, 1, 11, 5, tzinfo=UTC), HOUR)
    assert decided == SlotPlan(
        slot=datetime(2026, 1, 1, 11, 0, tzinfo=UTC),
        missed=1,
        latest_missed=created,
        next_slot=datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
    )


def test_post_on_start_slot_of_an_interval_is_posted() -> None:
    """An interval's anchor is its slot 0, so the start post is on the grid."""
    decided = plan(HOURLY, ANCHOR, ANCHOR, ANCHOR + 2 * MINUTE, 10 * MINUTE)
    assert decided == SlotPlan(slot=ANCHOR, missed=0, latest_missed=None, next_slot=slot(1))


def test_grace_zero_posts_only_an_exactly_on_time_slot() -> None:
    on_time = plan(HOURLY, ANCHOR, slot(1), slot(1), timedelta(0))
    assert on_time == SlotPlan(slot=slot(1), missed=0, latest_missed=None, next_slot=slot(2))
    late = plan(HOURLY, ANCHOR, slot(1), slot(1) + TICK, timedelta(0))
    assert late == SlotPlan(slot=None, missed=1, latest_missed=slot(1), next_slot=slot(2))


def test_grace_zero_posts_a_later_slot_that_is_exactly_now() -> None:
    decided = plan(HOURLY, ANCHOR, slot(1), slot(3), timedelta(0))
    assert decided is not None
    assert decided.slot == slot(3)
    assert decided.next_slot == slot(4)


def test_plan_with_a_berlin_cron_returns_utc() -> None:
    cadence = Cadence(cron="0 9 * * *", timezone="Europe/Berlin")
    due = datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    decided = plan(cadence, T0, due, due + 3 * MINUTE, HOUR)
    assert decided == SlotPlan(
        slot=due, missed=0, latest_missed=None, next_slot=datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    )
    assert_utc(decided.next_slot)


@settings(deadline=None, max_examples=150)
@given(
    interval=st.integers(min_value=60, max_value=4 * 3600),
    due_k=st.integers(min_value=0, max_value=50),
    late_us=st.integers(min_value=0, max_value=8 * 3600 * 1_000_000),
    grace_s=st.integers(min_value=0, max_value=6 * 3600),
    off_grid=st.booleans(),
)
def test_plan_property_over_interval_cadences(
    interval: int, due_k: int, late_us: int, grace_s: int, off_grid: bool
) -> None:
    """Whatever the lateness: at most one slot, within grace, and the next one after now."""
    cadence = Cadence(interval_seconds=interval)
    step = timedelta(seconds=interval)
    due = ANCHOR if off_grid else ANCHOR + due_k * step
    now = due + timedelta(microseconds=late_us)
    grace = timedelta(seconds=grace_s)
    decided = plan(cadence, ANCHOR, due, now, grace)
    assert decided is not None
    assert decided.next_slot > now
    assert decided.next_slot - step <= now
    assert (decided.next_slot - ANCHOR) % step == timedelta(0)
    assert_utc(decided.next_slot)
    if decided.slot is not None:
        assert now - grace <= decided.slot <= now
        assert decided.slot >= due
        assert decided.slot == due or decided.next_slot - step == decided.slot
    else:
        assert decided.missed >= 1
        assert decided.latest_missed is not None
        assert decided.latest_missed < now - grace


# -- first_slot ---------------------------------------------------------------------


def test_first_slot_with_post_on_start_is_now() -> None:
    now = datetime(2026, 1, 1, 10, 17, 42, tzinfo=UTC)
    assert first_slot(HOURLY, now, now, post_on_start=True) == now
    assert first_slot(Cadence(cron="0 * * * *"), now, now, post_on_start=True) == now


def test_first_slot_without_post_on_start_is_the_next_slot() -> None:
    now = datetime(2026, 1, 1, 10, 17, 42, tzinfo=UTC)
    assert first_slot(HOURLY, now, now, post_on_start=False) == now + HOUR
    cron = Cadence(cron="0 9 * * *", timezone="Europe/Berlin")
    assert first_slot(cron, now, now, post_on_start=False) == datetime(2026, 1, 2, 8, 0, tzinfo=UTC)


def test_first_slot_then_plan_posts_once_on_start() -> None:
    """A schedule created with post_on_start is due at once and then waits a full interval."""
    now = datetime(2026, 1, 1, 10, 17, 42, tzinfo=UTC)
    due = first_slot(HOURLY, now, now, post_on_start=True)
    decided = plan(HOURLY, now, due, now, HOUR)
    assert decided == SlotPlan(slot=now, missed=0, latest_missed=None, next_slot=now + HOUR)
