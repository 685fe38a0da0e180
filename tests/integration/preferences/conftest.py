"""An app with templates of categories of their own: ``weekly_promo`` (campaign,
category promos), ``digest`` (transactional but checked against preferences)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from herald.clock import Clock, FakeClock
from herald.config import load_settings
from herald.runtime import Runtime
from tests.support.app import serve

TEMPLATES = {
    "weekly_promo/template.json": json.dumps({"category": "promos"}),
    "weekly_promo/telegram.md.j2": "Offer of the week: {{ offer }}",
    "weekly_promo/email.subject.j2": "Offer of the week",
    "weekly_promo/email.txt.j2": "{{ offer }}",
    "weekly_promo/email.html.j2": "<p>{{ offer }}</p>",
    "digest/template.json": json.dumps({"category": "education", "checked": True}),
    "digest/telegram.md.j2": "Your digest: {{ topic }}",
}


def write_templates(root: Path) -> Path:
    for relative, text in TEMPLATES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@asynccontextmanager
async def prefs_app(
    database_url: str, clock: Clock | None, root: Path, **overrides: Any
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    """The app (sandboxed senders unless ``overrides`` say otherwise) with the templates
    above and the categories promos, signals and education."""
    settings = load_settings(
        env="dev", database_url=database_url, templates_dir=write_templates(root), **overrides
    )
    async with serve(settings, clock) as (client, runtime):
        for key in ("promos", "signals", "education"):
            created = await client.post("/api/v1/categories", json={"key": key, "name": key})
            assert created.status_code in (201, 409)  # 409: a second app on the same database
        yield client, runtime


@pytest.fixture
async def prefs_api(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    async with prefs_app(database_url, clock, tmp_path / "t") as pair:
        yield pair


async def start_promo(client: AsyncClient, audience: list[str] | str, **extra: object) -> int:
    """The weekly_promo campaign on Telegram to ``audience`` (a list, or "all"); its id."""
    started = await client.post(
        "/api/v1/campaigns",
        json={
            "template": "weekly_promo",
            "vars": {"offer": "2 for 1"},
            "channel": "telegram",
            "audience": audience,
            **extra,
        },
    )
    assert started.status_code == 202, started.text
    return int(started.json()["id"])
