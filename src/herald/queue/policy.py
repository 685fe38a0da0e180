"""Retry policy as a value: given an outcome, decide the delivery's next state."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from herald.queue.models import State
from herald.queue.outcomes import Outcome, Permanent, RetryAfter, Sent, Transient

MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 300.0
    jitter: float = 0.1  # +/- this fraction of the delay
    # A fixed schedule instead (the webhooks' 5 s, 5 min, 30 min...): the delay after
    # failed attempt n is schedule[n - 1] exactly, its last entry repeated if need be.
    schedule: tuple[float, ...] = ()

    @classmethod
    def fixed(cls, *delays: float) -> RetryPolicy:
        """A try at once, then one retry after each of ``delays``, then a dead letter."""
        return cls(max_attempts=len(delays) + 1, schedule=tuple(delays))

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Delay after failed attempt number ``attempt`` (1-based): 1 s, 2 s, 4 s, 8 s..."""
        if self.schedule:
            return self.schedule[min(max(attempt, 1), len(self.schedule)) - 1]
        # Cap the exponent too: 2.0 ** 1024 overflows before min() could cap it.
        delay = min(self.base_seconds * 2.0 ** min(max(attempt - 1, 0), 64), self.max_seconds)
        return delay * (1 + self.jitter * (2 * rand() - 1))


@dataclass(frozen=True, slots=True)
class Decision:
    """The row update an outcome leads to."""

    state: State
    run_at: datetime | None = None
    attempts_delta: int = 0  # -1 gives back the attempt the claim counted
    error: str | None = None
    provider_message_id: str | None = None
    finished: bool = False


def decide(
    outcome: Outcome,
    *,
    attempts: int,
    max_attempts: int,
    policy: RetryPolicy,
    now: datetime,
    rand: Callable[[], float] = random.random,
) -> Decision:
    """``attempts`` counts the attempt just made (the claim increments it)."""
    match outcome:
        case Sent(provider_message_id=pmid):
            return Decision(State.SENT, provider_message_id=pmid, finished=True)
        case RetryAfter(seconds=seconds, error=error):
            return Decision(
                State.PENDING,
                run_at=now + timedelta(seconds=max(seconds, 0.0)),
                attempts_delta=-1,
                error=_clip(f"retry after {seconds:g}s: {error}"),
            )
        case Transient(error=error):
            if attempts >= max_attempts:
                return Decision(
                    State.DEAD,
                    error=_clip(f"gave up after {attempts} attempts: {error}"),
                    finished=True,
                )
            delay = policy.backoff(attempts, rand)
            return Decision(
                State.PENDING, run_at=now + timedelta(seconds=delay), error=_clip(error)
            )
        case Permanent(error=error):
            return Decision(State.DEAD, error=_clip(error), finished=True)
    raise TypeError(f"not an outcome: {outcome!r}")


def _clip(error: str) -> str:
    return error if len(error) <= MAX_ERROR_LENGTH else error[: MAX_ERROR_LENGTH - 1] + "…"
