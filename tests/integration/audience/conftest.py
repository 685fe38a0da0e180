"""An app whose email goes to a real SMTP server over loopback, reached from outside at
https://herald.example.com (so herald makes its own unsubscribe links), with the
category promos and a campaign template of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from httpx import AsyncClient

from herald.config import Settings, load_settings
from herald.runtime import Runtime
from tests.integration.preferences.conftest import write_templates
from tests.support.app import serve
from tests.support.smtp import SMTPTestServer

PUBLIC_URL = "https://herald.example.com"


def mail_settings(
    database_url: str, smtp: SMTPTestServer, tmp_path: Path, **extra: object
) -> Settings:
    """Dev settings whose email goes to ``smtp``, with the template ``weekly_promo``
    (category promos) of tests/integration/preferences."""
    return load_settings(
        env="dev",
        database_url=database_url,
        templates_dir=write_templates(tmp_path / "templates"),
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_security="none",
        email_from="herald <news@example.com>",
        **extra,
    )


@pytest.fixture
async def mail_api(
    database_url: str, smtp: SMTPTestServer, tmp_path: Path
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    settings = mail_settings(database_url, smtp, tmp_path, public_url=PUBLIC_URL)
    async with serve(settings) as (client, runtime):
        created = await client.post("/api/v1/categories", json={"key": "promos", "name": "Promos"})
        assert created.status_code == 201
        yield client, runtime
