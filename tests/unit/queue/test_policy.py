"""RetryPolicy.backoff and decide(): from an outcome to the delivery's next state."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from herald.queue import Permanent, RetryAfter, RetryPolicy, Sent, State, Transient
from herald.queue.policy import MAX_ERROR_LENGTH, Decision, decide

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NO_JITTER = RetryPolicy(max_attempts=5, base_seconds=1.0, max_seconds=300.0, jitter=0.0)


def zero() -> float:
    return 0.0


def one() -> float:
    return 1.0


def half() -> float:
    return 0.5


def run(
    outcome: object,
    *,
    attempts: int = 1,
    max_attempts: int = 5,
    policy: RetryPolicy = NO_JITTER,
) -> Decision:
    return decide(
        outcome,  # type: ignore[arg-type]
        attempts=attempts,
        max_attempts=max_attempts,
        policy=policy,
        now=NOW,
        rand=half,
    )


# -- backoff -----------------------------------------------------------------------


def test_backoff_doubles_from_the_base() -> None:
    assert [NO_JITTER.backoff(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]


def test_backoff_scales_with_the_base() -> None:
    policy = RetryPolicy(base_seconds=0.5, jitter=0.0)
    assert [policy.backoff(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]


def test_backoff_for_attempt_zero_is_the_base() -> None:
    assert NO_JITTER.backoff(0) == 1.0


def test_backoff_jitter_bounds() -> None:
    policy = RetryPolicy(base_seconds=1.0, jitter=0.1)
    for attempt, delay in zip((1, 2, 3, 4), (1.0, 2.0, 4.0, 8.0), strict=True):
        assert policy.backoff(attempt, zero) == pytest.approx(delay * 0.9)
        assert policy.backoff(attempt, one) == pytest.approx(delay * 1.1)
        assert policy.backoff(attempt, half) == pytest.approx(delay)


def test_backoff_with_real_randomness_stays_within_jitter() -> None:
    policy = RetryPolicy(base_seconds=1.0, jitter=0.25)
    rng = random.Random(1234)
    delays = [policy.backoff(3, rng.random) for _ in range(500)]
    assert all(3.0 <= d <= 5.0 for d in delays)
    assert len(set(delays)) > 1  # jitter actually spreads retries


def test_backoff_is_capped_at_max_seconds() -> None:
    policy = RetryPolicy(base_seconds=1.0, max_seconds=10.0, jitter=0.0)
    assert policy.backoff(4) == 8.0
    assert policy.backoff(5) == 10.0
    assert policy.backoff(60) == 10.0


def test_jitter_applies_around_the_cap() -> None:
    policy = RetryPolicy(base_seconds=1.0, max_seconds=10.0, jitter=0.1)
    assert policy.backoff(30, zero) == pytest.approx(9.0)
    assert policy.backoff(30, one) == pytest.approx(11.0)


def test_backoff_of_a_very_high_attempt_is_still_capped() -> None:
    # max_attempts has no upper bound in ChannelSettings, so a channel configured
    # with many attempts reaches exponents a float cannot hold.
    assert NO_JITTER.backoff(1100) == 300.0
    assert NO_JITTER.backoff(10_000) == 300.0


# -- decide ------------------------------------------------------------------------


def test_sent_finishes_the_delivery() -> None:
    decision = run(Sent("msg-1"))
    assert decision == Decision(State.SENT, provider_message_id="msg-1", finished=True)
    assert decision.run_at is None
    assert decision.attempts_delta == 0
    assert decision.error is None


def test_sent_without_provider_id() -> None:
    decision = run(Sent())
    assert decision.state is State.SENT
    assert decision.provider_message_id is None
    assert decision.finished


def test_retry_after_waits_without_spending_an_attempt() -> None:
    decision = run(RetryAfter(30), attempts=5, max_attempts=5)
    assert decision.state is State.PENDING
    assert decision.run_at == NOW + timedelta(seconds=30)
    assert decision.attempts_delta == -1
    assert not decision.finished
    assert decision.error is not None
    assert "30" in decision.error
    assert "rate limited by provider" in decision.error


def test_retry_after_keeps_the_providers_error() -> None:
    decision = run(RetryAfter(1.5, "429 Too Many Requests"))
    assert decision.run_at == NOW + timedelta(seconds=1.5)
    assert decision.error is not None
    assert "429 Too Many Requests" in decision.error


def test_retry_after_negative_seconds_means_now() -> None:
    decision = run(RetryAfter(-5))
    assert decision.state is State.PENDING
    assert decision.run_at == NOW


@pytest.mark.parametrize(("attempts", "delay"), [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0)])
def test_transient_with_attempts_left_backs_off(attempts: int, delay: float) -> None:
    decision = run(Transient("timeout"), attempts=attempts, max_attempts=5)
    assert decision.state is State.PENDING
    assert decision.run_at == NOW + timedelta(seconds=delay)
    assert decision.attempts_delta == 0
    assert decision.error == "timeout"
    assert not decision.finished


def test_transient_backoff_uses_the_given_rand() -> None:
    policy = RetryPolicy(jitter=0.1)
    decision = decide(
        Transient("503"), attempts=2, max_attempts=5, policy=policy, now=NOW, rand=one
    )
    assert decision.run_at == NOW + timedelta(seconds=2.2)


def test_transient_on_the_last_attempt_is_dead() -> None:
    decision = run(Transient("connection reset"), attempts=5, max_attempts=5)
    assert decision.state is State.DEAD
    assert decision.finished
    assert decision.run_at is None
    assert decision.error is not None
    assert "connection reset" in decision.error
    assert "5 attempts" in decision.error


def test_transient_past_the_limit_is_dead() -> None:
    # e.g. max_attempts lowered by config while a delivery was in flight
    decision = run(Transient("timeout"), attempts=7, max_attempts=3)
    assert decision.state is State.DEAD
    assert decision.error is not None
    assert "7 attempts" in decision.error


def test_permanent_is_dead_at_once() -> None:
    decision = run(Permanent("chat not found"), attempts=1, max_attempts=5)
    assert decision == Decision(State.DEAD, error="chat not found", finished=True)


def test_long_errors_are_clipped() -> None:
    long = "x" * (MAX_ERROR_LENGTH * 3)
    for outcome, attempts in [
        (Permanent(long), 1),
        (Transient(long), 1),
        (Transient(long), 5),
        (RetryAfter(1, long), 1),
    ]:
        error = run(outcome, attempts=attempts, max_attempts=5).error
        assert error is not None
        assert len(error) == MAX_ERROR_LENGTH
        assert error.endswith("…")


def test_errors_at_the_limit_are_kept_whole() -> None:
    exact = "y" * MAX_ERROR_LENGTH
    assert run(Permanent(exact)).error == exact


def test_decide_refuses_a_non_outcome() -> None:
    with pytest.raises(TypeError):
        run("sent")
