"""An app whose email goes to a real SMTP server over loopback, reached from outside at
https://herald.example.com (so herald makes its own unsubscribe links)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from herald.config import Settings, load_settings
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.smtp import SMTPTestServer

PUBLIC_URL = "https://herald.example.com"


def mail_settings(database_url: str, smtp: SMTPTestServer, **extra: object) -> Settings:
    """Dev settings whose email goes to ``smtp``."""
    return load_settings(
        env="dev",
        database_url=database_url,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_security="none",
        email_from="herald <news@example.com>",
        **extra,
    )


@pytest.fixture
async def mail_api(
    database_url: str, smtp: SMTPTestServer
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    async with serve(mail_settings(database_url, smtp, public_url=PUBLIC_URL)) as pair:
        yield pair
