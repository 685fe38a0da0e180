"""The preference page: a plain form a recipient fills in a real browser (Debian's
Chromium), and what it stores; refusals of forms posted from elsewhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time
from pathlib import Path

import pytest
from httpx import AsyncClient
from playwright.async_api import expect

from herald.auth.recipient_links import Purpose, RecipientToken
from herald.channel import Channel
from herald.config import load_settings
from herald.messaging.recipients import RecipientFields
from herald.preferences import Category, QuietHours
from herald.runtime import Runtime
from tests.support.browser import chromium, live_app, screenshot


async def _reader(runtime: Runtime, locale: str | None = None) -> tuple[int, str]:
    for key, name in (("promos", "Promotions"), ("signals", "Trading signals")):
        await runtime.categories.create(Category(key, name))
    recipient, _ = await runtime.recipients.put(
        "reader", RecipientFields(email="r@example.com", locale=locale)
    )
    page = runtime.recipient_links.path(RecipientToken(Purpose.PREFERENCES, recipient.id))
    return recipient.id, page


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[tuple[str, Runtime]]:
    settings = load_settings(env="dev", database_url=f"sqlite+aiosqlite:///{tmp_path}/herald.db")
    async with live_app(settings) as pair:
        yield pair


@pytest.mark.slow
async def test_a_recipient_fills_the_form_in_chromium_and_it_is_stored(
    live: tuple[str, Runtime],
) -> None:
    url, runtime = live
    recipient_id, path = await _reader(runtime, locale="de-CH")
    async with chromium() as browser:
        page = await browser.new_page(java_script_enabled=False)  # a plain form
        await page.goto(url + path)
        await expect(page.get_by_role("heading")).to_have_text("Ihre Einstellungen")
        await page.get_by_label("Promotions: E-Mail").uncheck()
        await page.get_by_label("Browser-Benachrichtigungen", exact=True).uncheck()
        await page.get_by_label("Zeitzone").select_option("Europe/Berlin")
        await page.get_by_label("Von", exact=True).fill("22:00")
        await page.get_by_label("bis", exact=True).fill("07:30")
        await screenshot(page, "preferences-filled")
        await page.get_by_role("button", name="Speichern").click()
        await expect(page).to_have_url(f"{url}{path}?saved=1")
        await expect(page.get_by_role("status")).to_have_text(
            "Ihre Einstellungen sind gespeichert."
        )
        await expect(page.get_by_label("Promotions: E-Mail")).not_to_be_checked()
        await expect(page.get_by_label("Zeitzone")).to_have_value("Europe/Berlin")

        prefs = await runtime.preferences.get(recipient_id)
        assert prefs.timezone == "Europe/Berlin"
        assert prefs.quiet_hours == QuietHours(time(22, 0), time(7, 30))
        assert not prefs.accepts("promos", Channel.EMAIL)
        assert prefs.accepts("promos", Channel.TELEGRAM) and prefs.accepts("signals", "email")
        assert prefs.channels_off == {Channel.PUSH}
        assert not prefs.unsubscribed_all
        samples = {
            (s.labels["category"], s.labels["channel"]): s.value
            for metric in runtime.metrics.registry.collect()
            if metric.name == "herald_unsubscribes"
            for s in metric.samples
            if s.name.endswith("_total") and s.labels["source"] == "page"
        }
        assert samples == {("promos", "email"): 1, ("all", "push"): 1}

        await page.get_by_label("Von allem abmelden").check()
        await page.get_by_role("button", name="Speichern").click()
        await expect(page).to_have_url(f"{url}{path}?saved=1")
        everything = await runtime.preferences.get(recipient_id)
        assert everything.unsubscribed_all and everything.timezone == "Europe/Berlin"
        await screenshot(page, "preferences-unsubscribed")


async def test_the_page_refuses_other_sites_bad_links_and_half_quiet_hours(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = api
    recipient_id, path = await _reader(runtime)
    shown = await client.get(path)
    assert shown.status_code == 200 and 'lang="en"' in shown.text
    assert "<script" not in shown.text and shown.headers["Referrer-Policy"] == "same-origin"

    form = {"channel": ["email"], "unsubscribed_all": "1"}
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        refused = await client.post(path, data=form, headers=headers)
        assert refused.status_code == 403
    assert not (await runtime.preferences.get(recipient_id)).unsubscribed_all

    half = await client.post(path, data={"quiet_start": "22:00", "channel": ["email"]})
    assert half.status_code == 422
    assert "Give both times of the quiet hours, or neither." in half.text

    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert (await client.get(forged)).status_code == 404
    unsubscribe = runtime.recipient_links.token(RecipientToken(Purpose.UNSUBSCRIBE, recipient_id))
    assert (await client.get(f"/preferences/{unsubscribe}")).status_code == 404

    same_site = await client.post(path, data=form, headers={"Origin": "http://herald.test"})
    assert same_site.status_code == 303
    assert (await runtime.preferences.get(recipient_id)).unsubscribed_all
