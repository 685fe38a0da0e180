"""The interval and the test behind a named winner, against scipy's own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scipy.stats import binomtest, chi2_contingency

from herald.scheduling.variants import VariantError
from herald.tracking.significance import Rate, two_proportion_p, wilson, winner
from herald.tracking.variants import VariantReport

CASES = [(0, 10), (1, 10), (5, 10), (10, 10), (37, 420), (120, 400), (3, 2000), (999, 1000)]


@pytest.mark.parametrize(("successes", "trials"), CASES)
def test_the_wilson_interval_is_scipys(successes: int, trials: int) -> None:
    ours = wilson(successes, trials)
    theirs = binomtest(successes, trials).proportion_ci(0.95, method="wilson")
    assert ours is not None
    assert ours.low == pytest.approx(theirs.low, abs=1e-9)
    assert ours.high == pytest.approx(theirs.high, abs=1e-9)


def test_a_known_interval() -> None:
    # 12 of 100: the textbook Wilson interval 0.0700 - 0.1981
    found = wilson(12, 100)
    assert found is not None
    assert (round(found.low, 4), round(found.high, 4)) == (0.07, 0.1981)


def test_no_interval_where_there_is_no_proportion() -> None:
    assert wilson(0, 0) is None
    assert wilson(30, 12) is None  # more clickers than chats reached: not a proportion


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(30, 200, 50, 200), (12, 100, 9, 110), (100, 1000, 130, 1000), (5, 40, 1, 60)],
)
def test_the_two_proportion_p_value_is_scipys_chi_square_without_correction(
    x1: int, n1: int, x2: int, n2: int
) -> None:
    # the pooled z-test squared is Pearson's chi-square on the 2x2 table
    table = [[x1, n1 - x1], [x2, n2 - x2]]
    expected = chi2_contingency(table, correction=False).pvalue
    assert two_proportion_p(x1, n1, x2, n2) == pytest.approx(expected, rel=1e-9)


def test_no_p_value_without_variance_or_trials() -> None:
    assert two_proportion_p(0, 10, 0, 10) is None
    assert two_proportion_p(1, 0, 1, 10) is None


def test_a_winner_only_when_the_difference_is_significant() -> None:
    assert winner([Rate("A", 30, 200), Rate("B", 50, 200)]) == "B"  # p = 0.012
    assert winner([Rate("A", 30, 200), Rate("B", 40, 200)]) is None  # p = 0.19
    assert winner([Rate("A", 30, 200), Rate("B", 0, 0)]) is None  # B not measured yet
    assert winner([Rate("A", 300, 20), Rate("B", 1, 20)]) is None  # no proportion
    assert winner([Rate("A", 20, 200), Rate("B", 20, 200)]) is None  # a tie


def test_with_more_variants_the_best_must_beat_each_at_a_stricter_level() -> None:
    # B against 30 of 200 has p = 0.012, against 33 of 200 p = 0.036: a winner of two
    # either way, but against two others the level is 0.025 per comparison
    assert winner([Rate("A", 33, 200), Rate("B", 50, 200)]) == "B"
    assert winner([Rate("A", 30, 200), Rate("B", 50, 200), Rate("C", 30, 200)]) == "B"
    assert winner([Rate("A", 30, 200), Rate("B", 50, 200), Rate("C", 33, 200)]) is None


def test_joins_are_judged_as_clicks_are() -> None:
    # 8 and 25 joins of 400 members reached: p = 0.0025, B wins; 8 and 14: p = 0.19
    joins = [Rate("A", 8, 400), Rate("B", 25, 400)]
    assert winner(joins) == "B"
    assert winner([Rate("A", 8, 400), Rate("B", 14, 400)]) is None
    assert two_proportion_p(8, 400, 25, 400) == pytest.approx(0.0025085, abs=1e-6)
    low, high = binomtest(25, 400).proportion_ci(0.95, method="wilson")
    found = wilson(25, 400)
    assert found is not None
    assert (found.low, found.high) == pytest.approx((low, high), abs=1e-9)


def test_the_winner_kept_by_a_measure_must_exist() -> None:
    report = VariantReport(1, True, datetime(2026, 1, 1, tzinfo=UTC), None, None, [], None, "B")
    assert report.winner_by("joins") == "B"
    with pytest.raises(VariantError, match="no variant wins by clicks"):
        report.winner_by("clicks")
