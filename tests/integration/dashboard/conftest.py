"""A dashboard over ASGI with one key per role, on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from httpx import AsyncClient

from herald.auth import Role
from herald.clock import FakeClock
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import telegram_settings


@dataclass
class Site:
    client: AsyncClient
    runtime: Runtime
    keys: dict[Role, str]
    telegram: FakeTelegram


@pytest.fixture
async def site(database_url: str, clock: FakeClock, telegram: FakeTelegram) -> AsyncIterator[Site]:
    """Telegram goes to the fake Bot API; email and push stay in the sandbox."""
    settings = telegram_settings(database_url, telegram, login_attempts_per_minute=5)
    async with serve(settings, clock=clock, role=None) as (client, runtime):
        keys = {}
        for role in Role:
            _, keys[role] = await runtime.api_keys.create(f"{role.value} key", role)
        yield Site(client, runtime, keys, telegram)
