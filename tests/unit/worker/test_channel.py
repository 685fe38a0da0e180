"""ChannelState: one channel's limits, slots and idle marks at dispatch time (pure)."""

from __future__ import annotations

from dataclasses import replace

from herald.channels.telegram import messages_made
from herald.clock import FakeClock
from herald.queue import Delivery, RetryAfter
from herald.worker.channel import ALL, FREE, PAID, ChannelState
from herald.worker.plan import ChannelPlan
from herald.worker.ratelimit import RateLimit
from herald.worker.telegram import TelegramChatLimits
from tests.support.deliveries import make_delivery
from tests.support.senders import ScriptedSender

SENDER = ScriptedSender("telegram", FakeClock())


def state(**plan: object) -> ChannelState:
    return ChannelState("telegram", ChannelPlan(SENDER, **plan), now=0.0)  # type: ignore[arg-type]


def to(chat: str) -> Delivery:
    return replace(make_delivery("telegram", chat, {"text": "hi"}), ordering_key=f"telegram:{chat}")


def test_a_busy_channel_waits_for_a_quarter_of_its_slots() -> None:
    s = state(concurrency=8)
    assert s.slots() == 8
    for _ in range(7):
        s.started(to("1"), 0.0)
    assert s.slots() == 0  # one slot free: not worth a claim
    s.finished(to("1"), 0.1, paid=False)
    assert s.slots() == 2


def test_an_exclusive_channel_claims_only_while_its_lease_is_held() -> None:
    s = state(exclusive="telegram:bot")
    assert s.slots() == 0
    s.held = True
    assert s.slots() == 32
    assert state().slots() == 32  # no lease to wait for


def test_the_bucket_and_the_window_both_bound_a_claim() -> None:
    s = state(rate=RateLimit(per_second=30, burst=3), window=3)
    assert s.allowed(0.0, free=32, batch=200) == (3, 0.0)
    s.reserve(3, 0.0)
    s.claimed(asked=3, got=3)
    allowed, wait = s.allowed(0.0, 32, 200)
    assert allowed == 0 and 0 < wait <= 1 / 30
    for _ in range(3):
        s.started(to("1"), 0.0)
    for _ in range(3):
        s.finished(to("1"), 0.5, paid=False)
    # The bucket is full again at 0.5 s; the window keeps those three until 1.5 s.
    allowed, wait = s.allowed(0.5, 32, 200)
    assert allowed == 0 and wait == 1.0
    assert s.clear_in(0.5) == 1.0  # a lease hand-over waits for that too
    assert s.allowed(1.5, 32, 200) == (3, 0.0)


def test_a_claim_that_found_less_gives_its_tokens_back() -> None:
    s = state(rate=RateLimit(per_second=1, burst=5))
    s.reserve(5, 0.0)
    s.claimed(asked=5, got=2)
    assert s.allowed(0.0, 32, 200) == (3, 0.0)


def test_per_chat_limits_block_the_chat_just_sent_to() -> None:
    s = state(key_limits=TelegramChatLimits())
    s.started(to("42"), 0.0)
    s.started(to("-1001"), 0.0)  # a group: one every 3 s
    blocked, wait = s.blocked(0.5)
    assert blocked == {"telegram:42", "telegram:-1001"} and wait == 0.5
    assert s.blocked(1.0)[0] == {"telegram:-1001"}
    assert s.blocked(3.0) == (set(), 0.0)


def test_a_429_pauses_its_chat_or_the_whole_channel() -> None:
    s = state(rate=RateLimit(per_second=30, burst=3), key_limits=TelegramChatLimits())
    s.respect(to("42"), RetryAfter(10, scope="chat"), 0.0)
    assert s.blocked(5.0)[0] == {"telegram:42"}
    assert s.allowed(5.0, 32, 200)[0] == 3  # the others go on
    s.respect(to("43"), RetryAfter(10, scope="bot"), 5.0)
    assert s.allowed(14.9, 32, 200)[0] == 0
    assert s.allowed(15.1, 32, 200)[0] == 3


def test_idle_marks_last_until_work_arrives_a_send_is_recorded_or_time_passes() -> None:
    s = state()
    s.rest(ALL, (1, 1), until=1.0)
    assert s.is_idle(ALL, (1, 1), 0.5)
    assert not s.is_idle(ALL, (1, 2), 0.5)  # work arrived: the mark is gone
    s.rest(ALL, (1, 2), until=1.0)
    assert not s.is_idle(ALL, (1, 2), 1.0)  # a poll interval passed
    s.rest(PAID, (1, 2), until=1.0)
    s.rest(FREE, (1, 2), until=1.0)
    s.wake()  # one of its sends was recorded
    assert not s.is_idle(PAID, (1, 2), 0.5) and not s.is_idle(FREE, (1, 2), 0.5)


def test_an_album_spends_a_token_per_message_in_its_group_and_the_bot_bucket() -> None:
    """Telegram counts an album's messages: 10 photos and their buttons are 11 of the
    group's 20 a minute, so the group waits 33 s (at 1 per 3 s) before its next post."""
    s = state(
        rate=RateLimit(per_second=30, burst=30),
        key_limits=TelegramChatLimits(),
        messages=messages_made,
    )
    s.reserve(1, 0.0)  # the claim took one token for the album
    album = replace(to("-100"), payload={"media": list(range(1, 11)), "buttons": [[{}]]})
    s.started(album, 0.0)
    assert s.bucket.available(0.0) == 30 - 11
    assert s.blocked(0.0) == ({"telegram:-100"}, 33.0)
    assert s.blocked(33.0)[0] == set()


def test_a_text_post_and_a_single_file_are_one_message_each() -> None:
    s = state(key_limits=TelegramChatLimits(), messages=messages_made)
    s.started(replace(to("-100"), payload={"text": "hi", "media": [7]}), 0.0)
    assert s.blocked(0.0) == ({"telegram:-100"}, 3.0)
