"""Settings for an app talking to the fake Bot API, and waiting for background work."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Wait for ``check`` to hold (updates are polled by a background task)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)
