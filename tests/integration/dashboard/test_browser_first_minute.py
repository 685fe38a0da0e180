"""In Debian's Chromium: the dev-mode sign-in link, then a press of the promo's button
in the sandbox inbox, answered on the page and counted in the analytics."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from herald.config import load_settings
from herald.runtime import Runtime
from herald.scheduling.defaults import PROMOS
from herald.web import create_app
from tests.support.browser import chromium, live_server, screenshot

pytestmark = pytest.mark.slow
PROMO = PROMOS["promo:premium-signals"]


async def test_sign_in_with_the_link_and_press_a_promo_button(tmp_path: Path) -> None:
    settings = load_settings(env="dev", database_url=f"sqlite+aiosqlite:///{tmp_path}/herald.db")
    runtime = Runtime.build(settings)
    app = create_app(
        settings, runtime=runtime, run_worker=False, run_scheduler=False, poll_updates=False
    )
    try:
        async with live_server(app) as url, chromium() as browser:
            promos = await runtime.schedules.get_by_name("promos")
            assert promos is not None
            await runtime.runner.run_due(promos.id)
            await runtime.worker(exclusive=False).drain()
            token = await runtime.sign_in_links.create()

            page = await browser.new_page(viewport={"width": 1280, "height": 860})
            await page.goto(f"{url}/login/link?token={token}")
            await page.get_by_role("button", name="Sign in as owner").click()
            await expect(page).to_have_url(url + "/")

            await page.goto(url + "/sandbox")
            await page.get_by_role("button", name=PROMO.buttons[0].text).click()
            await expect(page.locator(".tg-answer")).to_contain_text(str(PROMO.alert_text))
            await screenshot(page, "sandbox-press")

            await runtime.clicks.flush()
            await page.goto(url + "/analytics")
            await expect(page.locator("#clicks-chart")).to_be_visible()
            await expect(page.get_by_role("row", name=PROMO.title)).to_contain_text("1")
    finally:
        await runtime.close()
