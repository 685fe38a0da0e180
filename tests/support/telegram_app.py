"""Settings for an app talking to the fake Bot API."""

from __future__ import annotations

from typing import Any

from herald.config import Settings, load_settings
from tests.support.fake_telegram import FakeTelegram

WEBHOOK_SECRET = "webhook-secret-for-tests_0123456789"


def telegram_settings(database_url: str, telegram: FakeTelegram, **extra: Any) -> Settings:
    return load_settings(
        env="dev",
        database_url=database_url,
        telegram_bot_token=telegram.token,
        telegram_api_url=telegram.url,
        telegram_webhook_secret=WEBHOOK_SECRET,
        **extra,
    )
