"""PaidPacer: how many paid sends may start, and the daily budget, time and day passed in."""

from __future__ import annotations

from datetime import date

from herald.worker.paid import RESERVE_CHUNK, PaidPacer
from herald.worker.ratelimit import RateLimit

DAY = date(2026, 12, 7)
PAID_RATE = RateLimit(per_second=1000, burst=100)


def pacer(cap: int = 0) -> PaidPacer:
    p = PaidPacer(PAID_RATE, cap, now=0.0)
    p.new_day(DAY)
    return p


def test_without_a_cap_only_the_rate_and_free_slots_limit() -> None:
    p = pacer()
    assert p.active and p.left is None
    assert p.wanted(0.0, free_slots=500, batch=200) == 100  # the bucket's burst
    assert p.wanted(0.0, free_slots=32, batch=200) == 32
    assert p.to_reserve(100) == 0 and p.affordable(100) == 100
    p.start(100, 0.0)
    assert p.wanted(0.0, 500, 200) == 0
    assert p.wait_time(0.0) > 0
    assert p.wanted(0.01, 500, 200) == 10  # 1,000/s refills 10 in 10 ms


def test_the_window_holds_any_second_to_the_paid_rate() -> None:
    p = PaidPacer(RateLimit(per_second=1000, burst=1000), 0, now=0.0)
    p.new_day(DAY)
    p.start(1000, 0.0)
    for _ in range(1000):
        p.finish(0.5)
    assert p.wanted(1.2, 5000, 5000) == 0  # the bucket is full again; the window is not
    assert p.wait_time(1.2) > 0
    assert p.wanted(1.5, 5000, 5000) == 1000


def test_the_budget_is_reserved_in_chunks_and_spent_as_sends_start() -> None:
    p = pacer(cap=250)
    assert p.to_reserve(30) == RESERVE_CHUNK
    p.reserved(RESERVE_CHUNK, RESERVE_CHUNK, used=RESERVE_CHUNK)
    assert p.affordable(30) == 30 and p.to_reserve(30) == 0
    p.start(30, 0.0)
    assert (p.allowance, p.left) == (70, 220)
    assert p.to_reserve(100) == RESERVE_CHUNK  # at least a chunk, never one by one


def test_a_spent_budget_makes_the_lanes_free_until_the_next_day() -> None:
    p = pacer(cap=150)
    p.reserved(100, 100, used=100)
    p.start(100, 0.0)
    asked = p.to_reserve(100)
    p.reserved(asked, 50, used=150)  # only 50 were left in the database
    assert p.active and p.affordable(100) == 50
    p.start(50, 1.0)
    assert p.to_reserve(10) == 0  # nothing more to ask for today
    assert not p.active and p.left == 0
    p.refund(DAY)  # Telegram refused one: it cost nothing
    assert p.active and p.affordable(10) == 1
    p.refund(date(2026, 12, 6))  # yesterday's refund is not today's budget
    assert p.allowance == 1
    assert p.new_day(date(2026, 12, 8)) and p.active and p.left == 150
    assert not p.new_day(date(2026, 12, 8))


def test_a_restart_reads_the_days_count_and_a_full_count_is_spent() -> None:
    p = pacer(cap=100)
    p.reserved(0, 0, used=100)  # what the database said at start
    assert not p.active and p.left == 0 and p.to_reserve(1) == 0
    q = pacer(cap=100)
    q.reserved(0, 0, used=40)
    assert q.active and q.left == 60
