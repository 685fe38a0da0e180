"""An app with long polling against the fake Bot API, for the bot's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import telegram_settings


@pytest.fixture
async def bot_app(
    database_url: str, telegram: FakeTelegram
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    """The app with long polling running (no worker: tests drain the queue themselves)."""
    settings = telegram_settings(database_url, telegram, telegram_admin_ids="777", unpaced=True)
    async with serve(settings, poll_updates=True) as pair:
        yield pair
