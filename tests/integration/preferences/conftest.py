"""An app with templates of categories of their own: ``weekly_promo`` (campaign,
category promos), ``digest`` (transactional but checked against preferences)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from httpx import AsyncClient

from herald.clock import FakeClock
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


@pytest.fixture
async def prefs_api(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    """The sandboxed app on the fake clock, with the templates above and the categories
    promos, signals and education."""
    settings = load_settings(
        env="dev", database_url=database_url, templates_dir=write_templates(tmp_path / "t")
    )
    async with serve(settings, clock) as (client, runtime):
        for key in ("promos", "signals", "education"):
            created = await client.post("/api/v1/categories", json={"key": key, "name": key})
            assert created.status_code == 201
        yield client, runtime
