"""TokenBucket, KeyBuckets and SlidingWindow: pure limits, the time passed in."""

from __future__ import annotations

import math
import threading

import pytest

from herald.worker.ratelimit import (
    KeyBuckets,
    RateLimit,
    SlidingWindow,
    TokenBucket,
)
from herald.worker.telegram import TelegramChatLimits


def bucket(per_second: float = 10.0, burst: int = 5, now: float = 100.0) -> TokenBucket:
    return TokenBucket(RateLimit(per_second=per_second, burst=burst), now=now)


def test_starts_full_at_burst() -> None:
    b = bucket(burst=5)
    assert b.available(100.0) == 5
    assert b.wait_time(100.0) == 0.0


def test_take_spends_tokens() -> None:
    b = bucket(burst=5)
    b.take(3, 100.0)
    assert b.available(100.0) == 2
    b.take(2, 100.0)
    assert b.available(100.0) == 0


def test_refills_at_the_rate() -> None:
    # Binary-exact times and rates, so no float rounding hides a token.
    b = bucket(per_second=8.0, burst=5)
    b.take(5, 100.0)
    assert b.available(100.125) == 1
    assert b.available(100.375) == 3
    assert b.available(100.625) == 5


def test_refill_is_fractional_between_whole_tokens() -> None:
    b = bucket(per_second=2.0, burst=5)
    b.take(5, 100.0)
    assert b.available(100.25) == 0  # half a token
    assert b.available(100.5) == 1


def test_never_exceeds_burst() -> None:
    b = bucket(per_second=8.0, burst=5)
    assert b.available(1_000_000.0) == 5
    b.take(1, 1_000_000.0)
    assert b.available(1_000_000.5) == 5
    assert b.available(2_000_000.0) == 5


def test_give_back_returns_tokens_up_to_burst() -> None:
    b = bucket(burst=5)
    b.take(4, 100.0)
    b.give_back(3)
    assert b.available(100.0) == 4
    b.give_back(10)
    assert b.available(100.0) == 5


def test_taking_more_than_available_goes_into_debt() -> None:
    b = bucket(per_second=8.0, burst=5)
    b.take(8, 100.0)  # 3 tokens of debt
    assert b.available(100.0) == -3
    assert b.wait_time(100.0) == pytest.approx(0.5)
    assert b.available(100.5) == 1


def test_wait_time_until_one_token() -> None:
    b = bucket(per_second=4.0, burst=2)
    b.take(2, 100.0)
    assert b.wait_time(100.0) == pytest.approx(0.25)
    assert b.wait_time(100.125) == pytest.approx(0.125)
    assert b.wait_time(100.25) == 0.0


def test_wait_time_is_zero_with_tokens_left() -> None:
    b = bucket(per_second=1.0, burst=3)
    b.take(2, 100.0)
    assert b.wait_time(100.0) == 0.0


def test_time_going_backwards_adds_nothing() -> None:
    b = bucket(per_second=8.0, burst=5)
    b.take(5, 100.0)
    assert b.available(50.0) == 0
    # and does not move the refill origin back either
    assert b.available(100.25) == 2


def test_slow_rate() -> None:
    b = bucket(per_second=0.5, burst=1, now=0.0)
    b.take(1, 0.0)
    assert b.wait_time(0.0) == pytest.approx(2.0)
    assert b.available(1.5) == 0
    assert b.available(2.0) == 1


def test_sliding_window_counts_sends_in_flight_and_for_a_second_after() -> None:
    w = SlidingWindow(limit=3, seconds=1.0)
    assert w.available(0.0) == 3
    w.start(3)
    assert (w.available(0.0), w.wait_time(0.0)) == (0, 0.0)  # in flight frees nothing yet
    w.finish(0.25)
    w.finish(0.5)
    assert w.available(1.125) == 0  # both finished less than a second ago
    assert w.wait_time(1.125) == pytest.approx(0.125)
    assert w.available(1.25) == 1
    w.finish(1.25)
    assert w.available(1.5) == 2  # 0.5 has expired; 1.25 still counts
    assert w.available(2.25) == 3


def test_a_private_chat_is_blocked_for_a_second_after_a_send() -> None:
    keys = KeyBuckets(TelegramChatLimits())
    keys.take("telegram:42", 10.0)
    assert keys.blocked(10.0) == {"telegram:42"}
    assert keys.wait_time(10.0) == pytest.approx(1.0)
    assert keys.blocked(10.999) == {"telegram:42"}
    assert keys.blocked(11.0) == set()
    assert keys.wait_time(11.0) == 0.0


class _Fast:
    def for_key(self, key: str) -> RateLimit:
        return RateLimit(per_second=10_000.0, burst=1)


def test_a_wait_below_the_clocks_resolution_does_not_spin() -> None:
    # At 10^6 s (a monotonic clock after 11 days up) the refill leaves the token 5e-7
    # short, a wait of 5e-11 s that 10^6 + 5e-11 cannot represent: the key was due
    # again at the same instant, and blocked() looped on it forever.
    now = 1_000_000.0
    due = now + 1 / 10_000
    probe = TokenBucket(RateLimit(per_second=10_000.0, burst=1), now)
    probe.take(1, now)
    assert probe.wait_time(due) > 0 and due + probe.wait_time(due) == due  # the case
    keys = KeyBuckets(_Fast())
    keys.take("k", now)
    done: list[set[str]] = []
    worker = threading.Thread(target=lambda: done.append(keys.blocked(due)), daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert done == [{"k"}]
    assert keys.blocked(math.nextafter(due, math.inf)) == set()


def test_a_group_sends_one_every_three_seconds_and_never_21_in_a_minute() -> None:
    keys = KeyBuckets(TelegramChatLimits())
    keys.take("telegram:-100", 0.0)
    assert keys.blocked(0.0) == {"telegram:-100"}
    assert keys.blocked(2.9) == {"telegram:-100"}
    assert keys.blocked(3.0) == set()
    sent, now = [0.0], 3.0
    while now < 130.0:  # as eager as a dispatcher can be, every 0.1 s
        if not keys.blocked(now):
            keys.take("telegram:-100", now)
            sent.append(now)
        now = round(now + 0.1, 1)
    # Telegram's 20 a minute, in every window: a burst of 3 made it 22.
    assert max(sum(start <= t < start + 60 for t in sent) for start in sent) == 20
    assert keys.blocked(now + 3.0) == set()  # full again: as if never sent to


def test_a_pause_blocks_a_chat_beyond_its_bucket_and_repeated_takes_stay_exact() -> None:
    keys = KeyBuckets(TelegramChatLimits())
    keys.take("telegram:7", 0.0)
    keys.pause("telegram:7", 5.0, 0.5)
    assert keys.blocked(1.0) == {"telegram:7"}
    assert keys.wait_time(1.0) == pytest.approx(4.5)
    assert keys.blocked(5.5) == set()
    for t in range(6, 106):  # one send a second for 100 s: never blocked when due
        assert keys.blocked(float(t)) == set()
        keys.take("telegram:7", float(t))
        assert keys.blocked(float(t)) == {"telegram:7"}


def test_thousands_of_chats_each_unblock_on_time() -> None:
    keys = KeyBuckets(TelegramChatLimits())
    for i in range(3000):
        keys.take(f"telegram:{i}", i / 1000)
    assert keys.blocked(3.5) == {f"telegram:{i}" for i in range(2501, 3000)}  # the last second
    assert keys.blocked(4.0) == set()
