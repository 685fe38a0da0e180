"""A recipient's links for callers' own emails: the API and the CLI give the same signed
URLs, and each one works on herald's pages."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from httpx import AsyncClient

from herald.config import load_settings
from herald.messaging.recipients import RecipientFields
from herald.preferences import Category
from herald.runtime import Runtime
from tests.integration.audience.conftest import PUBLIC_URL
from tests.integration.test_cli import herald, herald_env, single_error

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


async def test_the_api_gives_every_link_and_each_one_works(
    mail_api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = mail_api
    await client.put("/api/v1/recipients/reader", json={"email": "r@example.com"})
    answer = await client.get(
        "/api/v1/recipients/reader/preference-links", params={"channel": "email"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["recipient"] == "reader" and body["channel"] == "email"
    assert set(body["unsubscribe_urls"]) == {"promos"}  # every category there is
    assert body["preferences_url"].startswith(f"{PUBLIC_URL}/preferences/")
    assert body["unsubscribe_all_url"].startswith(f"{PUBLIC_URL}/u/")

    page = await client.get(body["preferences_url"].removeprefix(PUBLIC_URL))
    assert page.status_code == 200
    promos = body["unsubscribe_urls"]["promos"].removeprefix(PUBLIC_URL)
    assert (await client.post(promos, data=ONE_CLICK)).status_code == 200
    recipient = await runtime.recipients.get("reader")
    assert recipient is not None
    prefs = await runtime.preferences.get(recipient.id)
    assert not prefs.accepts("promos", "email") and prefs.accepts("promos", "telegram")

    assert (await client.get("/api/v1/recipients/nobody/preference-links")).status_code == 404
    bad = await client.get("/api/v1/recipients/reader/preference-links?channel=fax")
    assert bad.status_code == 422


async def test_without_a_public_url_the_api_says_why(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    await client.put("/api/v1/recipients/reader", json={"email": "r@example.com"})
    answer = await client.get("/api/v1/recipients/reader/preference-links")
    assert answer.status_code == 409
    assert "HERALD_PUBLIC_URL" in answer.json()["detail"]


async def test_the_cli_prints_the_same_links(tmp_path: Path) -> None:
    env = herald_env(tmp_path / "h.db")
    assert herald("migrate", env=env, cwd=tmp_path).returncode == 0
    runtime = Runtime.build(load_settings(env="dev", database_url=env["HERALD_DATABASE_URL"]))
    try:
        await runtime.categories.create(Category("promos", "Promos"))
        recipient, _ = await runtime.recipients.put("reader", RecipientFields(email="r@x.org"))
    finally:
        await runtime.close()

    with_url = {"HERALD_PUBLIC_URL": PUBLIC_URL}
    done = await asyncio.to_thread(
        herald, "recipients", "links", "reader", "--json", env=env, cwd=tmp_path, **with_url
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["channel"] is None and set(printed["unsubscribe_urls"]) == {"promos"}
    assert printed["preferences_url"].startswith(f"{PUBLIC_URL}/preferences/p{recipient.id}.")

    table = await asyncio.to_thread(
        herald, "recipients", "links", "reader", env=env, cwd=tmp_path, **with_url
    )
    assert table.returncode == 0 and "unsubscribe (promos)" in table.stdout

    nobody = await asyncio.to_thread(
        herald, "recipients", "links", "nobody", env=env, cwd=tmp_path, **with_url
    )
    assert nobody.returncode == 1 and "no recipient 'nobody'" in single_error(nobody)
    no_url = await asyncio.to_thread(herald, "recipients", "links", "reader", env=env, cwd=tmp_path)
    assert no_url.returncode == 1 and "HERALD_PUBLIC_URL" in single_error(no_url)
