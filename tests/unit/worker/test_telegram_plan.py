"""telegram_plan: Telegram's limits, lease and paid lanes from the Telegram settings."""

from __future__ import annotations

from herald.channels.telegram import TelegramSender, messages_made
from herald.clock import FakeClock
from herald.config import TelegramChannel
from herald.queue import Lane
from herald.worker.plan import ChannelPlan
from herald.worker.ratelimit import RateLimit
from herald.worker.telegram import TelegramChatLimits, telegram_plan
from tests.support.senders import ScriptedSender

TOKEN = "7012345678:AAFakeTokenForHeraldTestsOnly-abcdefgh"


def test_the_defaults_are_telegrams_own_limits() -> None:
    sandbox = ScriptedSender("telegram", FakeClock())
    plan = telegram_plan(TelegramChannel(), sandbox, bot=None)
    assert plan == ChannelPlan(
        sandbox,
        rate=RateLimit(30, 3),
        concurrency=64,
        window=30,
        key_limits=TelegramChatLimits(RateLimit(1, 1), RateLimit(20 / 60, 1)),
        messages=messages_made,  # an album counts a message per file
    )
    assert plan.key_limits is not None
    assert plan.key_limits.for_key("telegram:42") == RateLimit(1, 1)
    assert plan.key_limits.for_key("telegram:-1001") == RateLimit(20 / 60, 1)
    assert plan.key_limits.for_key("telegram:@news") == RateLimit(20 / 60, 1)


def test_per_chat_limits_come_from_the_telegram_settings() -> None:
    settings = TelegramChannel(private_chat_per_second=0.5, group_per_minute=600)
    plan = telegram_plan(settings, ScriptedSender("telegram", FakeClock()), bot=None)
    assert plan.key_limits == TelegramChatLimits(RateLimit(0.5, 1), RateLimit(10, 1))


def test_a_real_bot_is_dispatched_by_one_process_and_gets_its_paid_lanes() -> None:
    sender = TelegramSender(TOKEN, api_url="http://127.0.0.1:9")
    settings = TelegramChannel(paid_broadcast=["campaign"], paid_max_per_day=5000)
    plan = telegram_plan(settings, sender, bot="abc123")
    assert plan.exclusive == "telegram:abc123"
    assert plan.concurrency == 200  # a fifth of the paid rate, concurrency being unset
    assert plan.paid is not None
    assert plan.paid.lanes == frozenset({Lane.CAMPAIGN})
    assert (plan.paid.rate, plan.paid.max_per_day) == (RateLimit(1000, 100), 5000)
    assert plan.paid.budget_name == "telegram-paid:abc123"
    assert plan.paid.sender is not sender  # the same bot, sending paid


def test_paid_lanes_need_a_real_bot() -> None:
    settings = TelegramChannel(paid_broadcast=["campaign"], concurrency=16)
    plan = telegram_plan(settings, ScriptedSender("telegram", FakeClock()), bot="abc123")
    assert plan.paid is None and plan.concurrency == 16
