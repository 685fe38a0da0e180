"""A herald app talking to the fake Bot API over loopback, for scheduling and the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient

from herald.config import Settings, load_settings
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram

WEBHOOK_SECRET = "webhook-secret-for-tests_0123456789"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def telegram_settings(database_url: str, telegram: FakeTelegram, **extra: Any) -> Settings:
    return load_settings(
        env="dev",
        database_url=database_url,
        telegram_bot_token=telegram.token,
        telegram_api_url=telegram.url,
        telegram_webhook_secret=WEBHOOK_SECRET,
        **extra,
    )


@pytest.fixture
async def bot_app(
    database_url: str, telegram: FakeTelegram
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    """The app with long polling running (no worker: tests drain the queue themselves)."""
    settings = telegram_settings(database_url, telegram, telegram_admin_ids="777")
    async with serve(settings, poll_updates=True) as pair:
        yield pair


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    """Wait for ``check`` to hold (updates are polled by a background task)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.02)
