"""Fixtures for the end-to-end messaging tests: the real peers over loopback (a fake
Telegram Bot API, an SMTP server, a push service) and an app whose senders use them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from httpx import AsyncClient

from herald.channels.push import vapid
from herald.clock import FakeClock
from herald.config import load_settings
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.push_service import PushService
from tests.support.smtp import SMTPTestServer


@dataclass
class Peers:
    telegram: FakeTelegram
    smtp: SMTPTestServer
    push: PushService


@pytest.fixture
def smtp() -> Iterator[SMTPTestServer]:
    with SMTPTestServer() as server:
        yield server


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API alone, for tests that need no other peer."""
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def peers(smtp: SMTPTestServer) -> AsyncIterator[Peers]:
    async with FakeTelegram() as telegram, PushService() as push:
        yield Peers(telegram, smtp, push)


@pytest.fixture
async def api(database_url: str, clock: FakeClock) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    """The app in dev on the fake clock, its senders the sandbox; the client is an owner."""
    async with serve(load_settings(env="dev", database_url=database_url), clock) as pair:
        yield pair


@pytest.fixture
async def wired_api(database_url: str, peers: Peers) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    """The app with real senders, each talking to its peer over loopback."""
    private, _public = vapid.generate_keypair()
    settings = load_settings(
        env="dev",
        database_url=database_url,
        telegram_bot_token=peers.telegram.token,
        telegram_api_url=peers.telegram.url,
        smtp_host=peers.smtp.host,
        smtp_port=peers.smtp.port,
        smtp_security="none",
        email_from="herald <alerts@example.com>",
        vapid_private_key=private,
        vapid_subject="mailto:ops@example.com",
        push_allow_http_endpoints=True,
    )
    async with serve(settings) as pair:
        yield pair
