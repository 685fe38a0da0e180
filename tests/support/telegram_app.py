"""Settings for an app talking to the fake Bot API."""

from __future__ import annotations

from typing import Any

from herald.config import Settings, TelegramChannel, load_settings
from tests.support.fake_telegram import FakeTelegram

WEBHOOK_SECRET = "webhook-secret-for-tests_0123456789"
# For a test on the system clock that sends to one chat more than once: herald's pacing
# at Telegram's limits (20 a minute to a group, one each 3 s; one a second to a private
# chat) would make it wait those seconds in real time. That pacing is proved where it
# is the subject (test_dispatch_limits on a fake clock; the crash-and-scale and fault
# tests against a fake Bot API that enforces the limits, which this one does not unless
# asked). Not needed on a FakeClock, whose waits cost nothing.
UNPACED = TelegramChannel(
    rate_per_second=10_000.0, group_per_minute=100_000.0, private_chat_per_second=1_000.0
)


def telegram_settings(
    database_url: str, telegram: FakeTelegram, *, unpaced: bool = False, **extra: Any
) -> Settings:
    """Settings for the app against ``telegram``; ``unpaced``: with UNPACED's limits."""
    if unpaced:
        extra["telegram"] = UNPACED
    return load_settings(
        env="dev",
        database_url=database_url,
        telegram_bot_token=telegram.token,
        telegram_api_url=telegram.url,
        telegram_webhook_secret=WEBHOOK_SECRET,
        **extra,
    )
