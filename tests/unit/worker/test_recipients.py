"""Per-recipient limits (a webhook endpoint's): in flight and a bucket, time passed in."""

from __future__ import annotations

from dataclasses import replace

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


def test_an_endpoint_out_of_tokens_is_left_out_until_one_refills() -> None:
    gauge = RecipientGauge(RecipientLimits(concurrency=10, rate=RateLimit(4, 2)))
    for _ in range(2):
        gauge.started(hook("7"), 0.0)
        gauge.finished(hook("7"))
    room, wait = gauge.room(0.0)
    assert room.full() == ["7"] and wait == 0.25
    assert gauge.room(0.25)[0].room == {"7": 1}
    assert gauge.room(0.5)[0] == RecipientRoom(default=2)  # full and idle: forgotten


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
    assert gauge.room(1.125)[0].of("8") == 1  # 0.5 more at 4/s
    gauge.set_own({"8": (1, None)}, 2.0)
    gauge.set_own(None, 3.0)  # a failed read keeps the last limits, and waits to retry
    assert gauge.limits_of("8").concurrency == 1 and not gauge.wants_own(3.5)
