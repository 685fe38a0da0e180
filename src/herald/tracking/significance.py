"""Whether one variant's click-through rate is really better: pure statistics.

A rate from few posts says little, so each is shown with a 95% Wilson score interval
(which stays inside [0, 1] and behaves at 0 and at small counts, where the normal
approximation does not), and a winner is named only when a two-proportion z-test
(pooled, two-sided) finds the best rate different from every other one's. With more
than two variants the best is compared with each of the others, each comparison at
0.05 / (k - 1) (Bonferroni), so that "a winner" keeps meaning 95% whatever k is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the two-sided 95% quantile of the standard normal
ALPHA = 0.05


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Rate:
    """``successes`` out of ``trials`` for one variant, by name."""

    name: str
    successes: int
    trials: int

    @property
    def value(self) -> float | None:
        return self.successes / self.trials if self.trials else None


def wilson(successes: int, trials: int, z: float = Z_95) -> Interval | None:
    """The Wilson score interval of ``successes / trials`` (None without trials, or
    when successes exceed trials, which is no proportion)."""
    if trials <= 0 or not 0 <= successes <= trials:
        return None
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """The two-sided p-value of the pooled two-proportion z-test of x1/n1 against
    x2/n2 (None when it cannot be computed: no trials, or no variance at all)."""
    if n1 <= 0 or n2 <= 0 or not (0 <= x1 <= n1 and 0 <= x2 <= n2):
        return None
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return None
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))


def winner(rates: Sequence[Rate], alpha: float = ALPHA) -> str | None:
    """The name of the variant whose rate is significantly above every other's, or
    None (too few data, a tie, or a difference chance explains)."""
    measured = [r for r in rates if r.value is not None]
    if len(measured) < 2 or len(measured) < len(rates):
        return None
    best = max(measured, key=lambda r: r.value or 0.0)
    threshold = alpha / (len(measured) - 1)
    for other in measured:
        if other is best:
            continue
        p = two_proportion_p(best.successes, best.trials, other.successes, other.trials)
        if p is None or p >= threshold or (other.value or 0.0) >= (best.value or 0.0):
            return None
    return best.name
