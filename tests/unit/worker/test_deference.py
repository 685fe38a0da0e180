"""UrgentPace: when a background channel's claims wait for the alerts, the time passed in."""

from __future__ import annotations

import pytest

from herald.worker.deference import Deference, UrgentPace

POLICY = Deference(window=1.0, threshold=20, longest=5.0)


def test_a_trickle_of_alerts_holds_nothing() -> None:
    pace = UrgentPace(POLICY)
    for second in range(10):
        pace.started(float(second), 19)  # 19 a second: under the threshold
        assert pace.holds(second + 0.5) == (False, 0.0)


def test_a_burst_holds_until_its_oldest_start_leaves_the_window() -> None:
    pace = UrgentPace(POLICY)
    pace.started(10.0, 15)
    pace.started(10.2, 5)
    held, wait = pace.holds(10.3)
    assert held and wait == pytest.approx(0.7)  # 10.0's starts leave the window at 11.0
    assert pace.holds(11.0) == (False, 0.0)  # 5 left in the window


def test_a_flood_holds_at_most_longest_then_frees_as_long() -> None:
    pace = UrgentPace(POLICY)
    held_at: list[float] = []
    for tenth in range(200):  # 20 s of 500 alerts a second
        now = tenth / 10
        pace.started(now, 50)
        if pace.holds(now)[0]:
            held_at.append(now)
    assert held_at[0] == 0.0 and 4.8 < max(t for t in held_at if t < 10) < 5.0
    assert not [t for t in held_at if 5.0 <= t < 10.0]  # free for as long
    assert 10.0 in held_at  # then held again


def test_threshold_zero_never_holds() -> None:
    pace = UrgentPace(Deference(threshold=0))
    pace.started(0.0, 10_000)
    assert pace.holds(0.0) == (False, 0.0)
