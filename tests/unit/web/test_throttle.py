"""Throttle: a burst then the steady rate per key, waits that are exact, keys that are
independent, memory that stays bounded under a flood of distinct keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald.web.throttle import Throttle


def test_a_burst_goes_through_then_one_call_per_refill() -> None:
    throttle = Throttle(per_second=2.0, burst=3)
    assert [throttle.check("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.check("a", 0.0) == pytest.approx(0.5)  # one token is 0.5 s away
    assert throttle.check("a", 0.25) == pytest.approx(0.25)
    assert throttle.check("a", 0.5) == 0.0
    assert throttle.check("a", 0.5) == pytest.approx(0.5)


def test_a_refused_call_spends_nothing() -> None:
    """Hammering does not push the wait further out: waiting as told gets through."""
    throttle = Throttle(per_second=1.0, burst=1)
    assert throttle.check("a", 0.0) == 0.0
    for _ in range(100):
        assert throttle.check("a", 0.1) == pytest.approx(0.9)
    assert throttle.check("a", 1.0) == 0.0


def test_an_idle_key_refills_to_the_burst_and_no_further() -> None:
    throttle = Throttle(per_second=1.0, burst=2)
    throttle.check("a", 0.0)
    throttle.check("a", 0.0)
    assert throttle.check("a", 1000.0) == 0.0
    assert throttle.check("a", 1000.0) == 0.0
    assert throttle.check("a", 1000.0) > 0


def test_keys_are_independent() -> None:
    throttle = Throttle(per_second=1.0, burst=1)
    assert throttle.check("10.0.0.1", 0.0) == 0.0
    assert throttle.check("10.0.0.1", 0.0) > 0
    assert throttle.check("10.0.0.2", 0.0) == 0.0


def test_time_going_back_refills_nothing() -> None:
    throttle = Throttle(per_second=1.0, burst=1)
    assert throttle.check("a", 10.0) == 0.0
    assert throttle.check("a", 5.0) == pytest.approx(1.0)
    assert throttle.check("a", 11.0) == 0.0


def test_per_minute() -> None:
    throttle = Throttle.per_minute(10)
    assert (throttle.per_second, throttle.burst) == (pytest.approx(10 / 60), 10)
    assert all(throttle.check("ip", 0.0) == 0.0 for _ in range(10))
    assert throttle.check("ip", 0.0) == pytest.approx(6.0)
    assert Throttle.per_minute(0.5).burst == 1
    assert Throttle.per_minute(30, burst=5).burst == 5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"per_second": 0, "burst": 1},
        {"per_second": 1, "burst": 0},
        {"per_second": 1, "burst": 1, "max_keys": 0},
    ],
)
def test_nonsense_limits_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Throttle(**kwargs)  # type: ignore[arg-type]


def test_a_flood_of_distinct_keys_keeps_memory_bounded() -> None:
    throttle = Throttle(per_second=1.0, burst=1, max_keys=1000)
    for i in range(50_000):
        assert throttle.check(f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}", 0.0) == 0.0
    assert len(throttle) == 1000


def test_the_least_recently_seen_key_is_forgotten_first() -> None:
    """A busy key the flood would like to reset stays remembered, and limited."""
    throttle = Throttle(per_second=1.0, burst=1, max_keys=3)
    throttle.check("busy", 0.0)
    for other in ("x", "y", "z", "w"):
        assert throttle.check("busy", 0.0) > 0  # seen again: the most recent
        throttle.check(other, 0.0)
    assert throttle.check("busy", 0.0) > 0
    assert len(throttle) == 3
    assert throttle.check("x", 0.0) == 0.0  # forgotten: back with a full bucket


@given(
    rate=st.floats(min_value=0.01, max_value=1000),
    burst=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=200),
)
def test_never_more_than_burst_plus_rate_times_elapsed(
    rate: float, burst: int, gaps: list[float]
) -> None:
    """Property: over any run, the calls let through are at most burst + rate * time,
    and a refusal's wait is exactly when the next call gets through."""
    throttle = Throttle(per_second=rate, burst=burst)
    now, allowed = 0.0, 0
    for gap in gaps:
        now += gap
        wait = throttle.check("k", now)
        if wait == 0.0:
            allowed += 1
        else:
            assert wait > 0
            assert throttle.check("k", now + wait * (1 + 1e-9) + 1e-9) == 0.0
            allowed += 1
            now += wait * (1 + 1e-9) + 1e-9
    assert allowed <= burst + rate * now + 1
