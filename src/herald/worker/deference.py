"""A background channel's claims held back while the alerts are bursting.

A channel whose plan says ``background`` (the webhook channel: telling endpoints what
happened is never on the hot path) claims nothing while transactional sends of the
other channels are starting fast: a market move's alerts are recorded and sent on the
same event loop and, on SQLite, under the same write lock. The hold is bounded, so a
flood of alerts that never ends delays the events, never starves them. Pure: the
time is passed in.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Deference:
    """Hold while at least ``threshold`` transactional sends started in the last
    ``window`` seconds, for at most ``longest`` seconds in a row; after that long a
    hold, claim freely for as long again (so a flood halves the background's time,
    at worst). ``threshold`` 0: never hold."""

    window: float = 1.0
    threshold: int = 20
    longest: float = 5.0


class UrgentPace:
    """Counts transactional sends as they start and says whether background claims
    wait now."""

    def __init__(self, policy: Deference) -> None:
        self.policy = policy
        self._starts: deque[tuple[float, int]] = deque()  # (when, how many)
        self._count = 0
        self._held_since: float | None = None
        self._free_until = float("-inf")

    def started(self, now: float, n: int) -> None:
        if n > 0 and self.policy.threshold > 0:
            self._starts.append((now, n))
            self._count += n

    def _recent(self, now: float) -> int:
        horizon = now - self.policy.window
        starts = self._starts
        while starts and starts[0][0] <= horizon:
            self._count -= starts.popleft()[1]
        return self._count

    def holds(self, now: float) -> tuple[bool, float]:
        """(whether a background channel claims nothing now, seconds until it is worth
        asking again)."""
        policy = self.policy
        if policy.threshold <= 0 or now < self._free_until:
            return False, 0.0
        if self._recent(now) < policy.threshold:
            self._held_since = None
            return False, 0.0
        if self._held_since is None:
            self._held_since = now
        elif now - self._held_since >= policy.longest:
            self._held_since = None
            self._free_until = now + policy.longest
            return False, 0.0
        # the oldest start counted leaves the window then: the pace may have dropped
        return True, max(self._starts[0][0] + policy.window - now, 0.001)
