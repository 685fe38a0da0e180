"""Per-recipient limits (a webhook endpoint's): in flight and a bucket, time passed in."""

from __future__ import annotations

from dataclasses import replace

import pytest

from herald.clock import FakeClock
from herald.queue import Delivery, RecipientRoom, RetryAfter
from herald.worker.channel import ChannelState
from herald.worker.plan import ChannelPlan
from herald.worker.ratelimit import RateLimit
from herald.worker.recipients import OWN_LIMITS_SECONDS, RecipientGauge, RecipientLimits
from tests.support.deliveries import make_delivery
from tests.support.senders import ScriptedSender

LIMITS = RecipientLimits(concurrency=2, rate=RateLimit(per_second=4, burst=3))


def hook(endpoint: str, subject: str = "delivery:1") -> Delivery:
    """A webhook delivery as fan-out queues it: recipient the endpoint, key per subject."""
    d = make_delivery("webhook", endpoint, {"event_id": "evt_1"})
    return replace(d, ordering_key=f"webhook:{endpoint}:{subject}")


def test_the_limits_key_on_the_endpoint_not_the_ordering_key() -> None:
    a, b = hook("7", "delivery:1"), hook("7", "chat:-100")
    assert a.ordering_key != b.ordering_key
    assert LIMITS.key(a) == LIMITS.key(b) == "7"
    assert LIMITS.key(hook("8")) == "8"


def test_an_endpoint_at_its_cap_has_no_room_until_a_send_ends() -> None:
    gauge = RecipientGauge(RecipientLimits(concurrency=2, rate=RateLimit(1000, 1000)))
    assert gauge.room(0.0) == (RecipientRoom(default=2), 0.0)  # nobody is kept
    gauge.started(hook("7"), 0.0)
    assert gauge.room(0.0)[0].room == {"7": 1}
    gauge.started(hook("7", "chat:1"), 0.0)
    room, wait = gauge.room(0.0)
    assert room.full() == ["7"] and room.of("8") == 2
    assert wait == 0.0  # a slot, not a token, is missing: a finished send wakes the loop
    gauge.finished(hook("7"))
    assert gauge.room(0.0)[0].room == {"7": 1}


def test_an_endpoint_out_of_tokens_is_left_out_until_a_full_room_refills() -> None:
    gauge = RecipientGauge(RecipientLimits(concurrency=10, rate=RateLimit(4, 2)))
    for _ in range(2):
        gauge.started(hook("7"), 0.0)
        gauge.finished(hook("7"))
    room, wait = gauge.room(0.0)
    assert room.full() == ["7"] and wait == 0.5  # two tokens (its room) at 4/s
    room, wait = gauge.room(0.25)
    assert room.full() == ["7"] and wait == 0.25  # one token is not worth a claim
    assert gauge.room(0.5)[0] == RecipientRoom(default=2)  # full and idle: forgotten


def test_a_busy_endpoint_is_ready_with_half_its_slots_and_a_full_rooms_tokens() -> None:
    limits = RecipientLimits(concurrency=4, rate=RateLimit(20, 10))
    assert (limits.room, limits.slots_ready) == (4, 2)
    assert limits.ready(free=4, tokens=4) and limits.ready(free=2, tokens=10)
    assert not limits.ready(free=4, tokens=3)  # tokens come at the rate: wait for four
    assert not limits.ready(free=1, tokens=10)  # a slow endpoint: wait for two slots
    one = RecipientLimits(concurrency=1, rate=RateLimit(20, 10))
    assert (one.room, one.slots_ready) == (1, 1) and one.ready(free=1, tokens=1)
    assert RecipientLimits(concurrency=3, rate=RateLimit(20, 2)).room == 2


def test_a_backlogged_endpoint_is_claimed_for_in_batches_at_its_rate() -> None:
    """Claim whatever the room allows each time the dispatcher asks (every 10 ms) for
    ten seconds, sends answered at once: 20/s still, four to a claim."""
    gauge = RecipientGauge(RecipientLimits(concurrency=4, rate=RateLimit(20, 10)))
    claims = sends = 0
    for ms in range(0, 10_000, 10):
        now = ms / 1000
        room, _ = gauge.room(now)
        n = room.of("7")
        if n:
            claims += 1
            for _ in range(n):
                gauge.started(hook("7"), now)
                gauge.finished(hook("7"))
                sends += 1
    assert 10 + 20 * 10 - 4 <= sends <= 10 + 20 * 10
    assert claims <= sends / 4 + 3


def test_a_greedy_dispatcher_never_beats_the_rate() -> None:
    """Start whatever the room allows every millisecond for ten seconds: no second holds
    more than burst + rate requests, and ten seconds hold rate x 10 + burst."""
    clock = FakeClock()
    gauge = RecipientGauge(LIMITS)
    starts: list[float] = []
    while clock.monotonic() < 10.0:
        now = clock.monotonic()
        fits, _ = gauge.fit([hook("7", f"s{i}") for i in range(10)], now)
        for d in fits:
            gauge.started(d, now)
            gauge.finished(d)  # an instant answer: only the bucket holds it back
            starts.append(now)
        clock.advance(0.001)
    assert len(starts) <= 4 * 10 + 3
    assert len(starts) >= 4 * 10  # and it is not slower than asked
    for t in starts:
        assert sum(1 for s in starts if t <= s < t + 1) <= 4 + 3


def test_fit_splits_a_batch_at_each_endpoints_room() -> None:
    gauge = RecipientGauge(LIMITS)
    gauge.started(hook("7"), 0.0)
    batch = [hook("7", "a"), hook("7", "b"), hook("8", "a"), hook("8", "b"), hook("8", "c")]
    fits, over = gauge.fit(batch, 0.0)
    assert fits == [batch[0], batch[2], batch[3]]
    assert over == [batch[1], batch[4]]


def test_a_channel_with_per_recipient_limits_counts_its_sends() -> None:
    sender = ScriptedSender("webhook", FakeClock())
    plan = ChannelPlan(sender, per_recipient=LIMITS)  # type: ignore[arg-type]
    state = ChannelState("webhook", plan, now=0.0)
    first = hook("7")
    state.started(first, 0.0)
    state.started(hook("7", "chat:1"), 0.0)
    room, _ = state.room(0.0)
    assert room is not None and room.full() == ["7"]
    blocked, other = hook("7", "x"), hook("8")
    assert state.fit([blocked, other], 0.0) == ([other], [blocked])
    state.finished(first, 0.1, paid=False)
    assert state.recipients is not None and state.recipients.in_flight("7") == 1

    plain = ChannelState("email", ChannelPlan(sender), now=0.0)  # type: ignore[arg-type]
    assert plain.room(0.0) == (None, 0.0)
    assert plain.fit([other], 0.0) == ([other], [])


def test_a_retry_after_pauses_its_endpoint_alone() -> None:
    sender = ScriptedSender("webhook", FakeClock())
    plan = ChannelPlan(sender, per_recipient=LIMITS)  # type: ignore[arg-type]
    state = ChannelState("webhook", plan, now=0.0)
    state.respect(hook("7"), RetryAfter(30.0, scope="recipient"), 0.0)
    room, wait = state.room(0.0)
    assert room is not None and room.full() == ["7"] and room.of("8") == 2
    assert wait == 0.0  # no sleep: the poll after the pause finds the endpoint's work
    held, other = hook("7", "b"), hook("8")
    assert state.fit([held, other], 10.0) == ([other], [held])
    state.respect(hook("7"), RetryAfter(5.0, scope="recipient"), 10.0)  # never shortened
    assert state.room(29.0)[0].full() == ["7"]  # type: ignore[union-attr]
    assert state.room(30.0)[0] == RecipientRoom(default=2)  # over: forgotten


def test_a_recipient_with_limits_of_its_own_gets_its_room() -> None:
    gauge = RecipientGauge(LIMITS)  # 2 in flight, 4/s, burst 3: a room of 2
    gauge.set_own({"7": (1, None), "8": (None, 0.5), "9": (5, None)}, 0.0)
    room, _ = gauge.room(0.0)
    assert room.room == {"7": 1, "8": 1, "9": 3}  # 9: 5 in flight, but the burst is 3
    assert room.partial() == {"7": 1, "8": 1, "9": 3} and room.of("10") == 2
    assert gauge.limits_of("8").rate == RateLimit(0.5, 1)  # a second of its rate, at least 1
    gauge.started(hook("8"), 0.0)
    gauge.finished(hook("8"))
    room, wait = gauge.room(0.0)
    assert room.full() == ["8"] and wait == 2.0  # one token at 0.5/s


def test_own_limits_are_read_again_after_a_second_and_retune_the_buckets() -> None:
    assert not RecipientGauge(LIMITS).wants_own(0.0)  # nothing to read them from

    async def read() -> dict[str, tuple[int | None, float | None]]:
        return {}

    gauge = RecipientGauge(replace(LIMITS, own=read))
    assert gauge.wants_own(0.0)
    gauge.set_own({"8": (None, 0.5)}, 0.0)
    assert not gauge.wants_own(OWN_LIMITS_SECONDS - 0.1) and gauge.wants_own(OWN_LIMITS_SECONDS)
    gauge.started(hook("8"), 0.0)
    gauge.finished(hook("8"))
    gauge.set_own({}, 1.0)  # back to the default: 4/s, the bucket keeps what it had
    assert gauge.limits_of("8") is gauge.limits
    assert gauge.room(1.0)[0].of("8") == 0  # 0.5 refilled at 0.5/s
    fits, _ = gauge.fit([hook("8", "a"), hook("8", "b")], 1.125)
    assert len(fits) == 1  # 0.5 more at 4/s (a claim waits for two: its room)
    gauge.set_own({"8": (1, None)}, 2.0)
    gauge.set_own(None, 3.0)  # a failed read keeps the last limits, and waits to retry
    assert gauge.limits_of("8").concurrency == 1 and not gauge.wants_own(3.5)


def test_a_room_rest_ignores_others_work_and_ends_with_the_channels_or_a_ready_endpoint() -> None:
    sender = ScriptedSender("webhook", FakeClock())
    limits = RecipientLimits(concurrency=2, rate=RateLimit(1000, 1000))
    state = ChannelState("webhook", ChannelPlan(sender, per_recipient=limits), now=0.0)  # type: ignore[arg-type]
    first, second = hook("7", "a"), hook("7", "b")
    state.started(first, 0.0)
    state.started(second, 0.0)
    state.rest_for_room((0, 0), 0.0, tokens_in=0.0, poll=1.0)  # slots: a send ends it
    assert state.waits_for_room((9, 0), 0.5) == (True, 0.0)  # any process's enqueue: still
    assert state.waits_for_room((9, 1), 0.5) == (False, 0.0)  # work queued for the channel
    state.rest_for_room((9, 1), 0.5, tokens_in=0.25, poll=1.0)  # tokens due in 0.25 s
    assert state.waits_for_room((9, 1), 0.6) == (True, pytest.approx(0.15))
    assert state.waits_for_room((9, 1), 0.75) == (False, 0.0)  # its time is up
    state.rest_for_room((9, 1), 1.0, tokens_in=0.0, poll=1.0)
    state.finished(first, 1.5, paid=False)  # one slot of two free: ready
    assert state.waits_for_room((9, 1), 1.5) == (False, 0.0)
