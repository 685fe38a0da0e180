"""The dashboard in Debian's Chromium: sign in, pause a schedule, replay a dead letter,
read the analytics chart; and a viewer, who gets no buttons. Screenshots of each step
are kept (tests/support/browser.py says where)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from herald.auth import Role
from herald.queue import DeliveryFilter, NewDelivery, State
from herald.queue import admin as queue_admin
from herald.runtime import Runtime
from herald.scheduling.content import Kind
from herald.tracking.clicks import NewClick
from tests.support.browser import chromium, live_app, screenshot
from tests.support.fake_telegram import FakeTelegram, forbidden
from tests.support.media_files import png
from tests.support.telegram_app import telegram_settings

pytestmark = pytest.mark.slow


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def live(tmp_path: Path, telegram: FakeTelegram) -> AsyncIterator[tuple[str, Runtime]]:
    settings = telegram_settings(f"sqlite+aiosqlite:///{tmp_path}/herald.db", telegram)
    async with live_app(settings) as pair:
        yield pair


async def sign_in(browser: Browser, url: str, runtime: Runtime, role: Role) -> Page:
    _, secret = await runtime.api_keys.create(f"browser {role.value}", role)
    page = await browser.new_page(viewport={"width": 1280, "height": 860})
    await page.goto(url + "/schedules")
    await expect(page).to_have_url(url + "/login?next=/schedules")
    await page.get_by_label("API key").fill(secret)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(url + "/schedules")
    return page


async def test_an_admin_pauses_a_schedule_and_replays_a_dead_letter(
    browser: Browser, live: tuple[str, Runtime], telegram: FakeTelegram
) -> None:
    url, runtime = live
    telegram.script("4242", forbidden())
    await runtime.queue.enqueue(NewDelivery("telegram", "4242", {"text": "Stop-loss hit"}))
    await runtime.worker(exclusive=False).drain()
    [dead] = await queue_admin.list_deliveries(runtime.queue, DeliveryFilter(state=State.DEAD))

    page = await sign_in(browser, url, runtime, Role.ADMIN)
    await screenshot(page, "schedules")
    row = page.locator("tr[data-schedule=guides]")
    await row.get_by_role("button", name="Pause").click()
    await expect(page.get_by_role("status").filter(has_text="Schedule paused.")).to_be_visible()
    await expect(row.locator(".sched-state")).to_have_text("paused")
    await expect(row.get_by_role("button", name="Resume")).to_be_visible()
    guides = await runtime.schedules.get_by_name("guides")
    assert guides is not None and not guides.enabled
    await screenshot(page, "schedule-paused")

    await page.get_by_role("link", name="Deliveries").click()
    await page.get_by_role("link", name="Dead letters").click()
    await expect(page.locator("#deliveries")).to_contain_text("bot was blocked by the user")
    await page.get_by_role("link", name=str(dead.id), exact=True).click()
    await screenshot(page, "dead-letter")
    await page.get_by_role("button", name="Replay").click()
    await expect(page.get_by_role("status").filter(has_text="1 dead letter(s)")).to_be_visible()
    replayed = await runtime.queue.get(dead.id)
    assert replayed is not None and replayed.state is State.PENDING
    await screenshot(page, "dead-letter-replayed")


async def test_the_analytics_chart_and_a_viewer_without_controls(
    browser: Browser, live: tuple[str, Runtime]
) -> None:
    url, runtime = live
    promos = await runtime.content.all(Kind.PROMO)
    now = runtime.clock.now()
    for n in range(30):  # a few clicks a day on two promos, over the last ten days
        promo = promos[n % 2]
        when = now - timedelta(days=n % 10, hours=n % 5)
        await runtime.clicks.record(
            NewClick("callback", when, promo_id=promo.id, cta=0, telegram_user_id=1000 + n)
        )
    await runtime.clicks.flush()

    page = await sign_in(browser, url, runtime, Role.VIEWER)
    await expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    await expect(page.get_by_role("button", name="Run now")).to_have_count(0)
    await page.get_by_role("link", name="Analytics").click()
    chart = page.locator("svg#clicks-chart")
    await expect(chart).to_be_visible()
    await expect(chart.locator("polyline.series")).to_have_count(2)
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 200
    await expect(page.locator("#ctr")).to_contain_text("15")  # each promo's clicks
    await screenshot(page, "analytics")
    await page.goto(url + "/")
    await screenshot(page, "overview")
    await page.goto(url + f"/content/{promos[0].id}")
    await expect(page.locator(".tg .bubble")).to_contain_text(promos[0].title)
    await expect(page.get_by_role("button", name="Save")).to_have_count(0)
    await screenshot(page, "promo-preview")


async def test_an_admin_creates_a_schedule_in_the_form(
    browser: Browser, live: tuple[str, Runtime]
) -> None:
    url, runtime = live
    guide = (await runtime.content.all(Kind.GUIDE))[0]
    page = await sign_in(browser, url, runtime, Role.ADMIN)
    await page.get_by_role("link", name="New schedule").click()
    await page.get_by_label("Name").fill("evenings")
    await page.locator("#kind").select_option("playlist")
    await page.get_by_label("Chats").fill("-1001234\n@herald_news")
    await page.get_by_label("Every … seconds").fill("")
    await page.locator("#cron").fill("0 25 * * *")
    await page.get_by_label("Playlist").fill(str(guide.id))
    await page.get_by_role("button", name="Create").click()
    await expect(page.locator("#cron-error")).to_contain_text("cron:")
    await screenshot(page, "schedule-form-refused")
    await page.locator("#cron").fill("0 19 * * *")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("status").filter(has_text="Schedule created.")).to_be_visible()
    await expect(page.locator("ol.rotation")).to_contain_text(guide.title)
    await screenshot(page, "schedule-created")
    created = await runtime.schedules.get_by_name("evenings")
    assert created is not None and created.cadence.cron == "0 19 * * *"
    assert [c.chat_id for c in created.chats] == ["-1001234", "@herald_news"]


async def test_an_admin_uploads_a_chart_in_the_editor_and_sees_it_posted(
    browser: Browser, live: tuple[str, Runtime], tmp_path: Path
) -> None:
    url, runtime = live
    guide = (await runtime.content.all(Kind.GUIDE))[0]
    chart = tmp_path / "chart.png"
    chart.write_bytes(png(480, 270))
    page = await sign_in(browser, url, runtime, Role.ADMIN)
    await page.goto(url + f"/content/{guide.id}")
    await page.get_by_label("Upload a file").set_input_files(chart)
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    stored = await runtime.content.get(guide.id)
    assert stored is not None and len(stored.media) == 1
    thumbnail = page.locator(".media-choice img").first
    photo = page.locator(".tg img.tg-photo")
    await expect(photo).to_be_visible()
    for image in (thumbnail, photo):  # loaded through the pages' CSP, not a broken image
        assert await image.evaluate("img => img.complete && img.naturalWidth") == 480
    await expect(page.locator(".tg .bubble.tg-media")).to_contain_text(stored.title)
    await screenshot(page, "media-post-preview")
