"""Pressing a post's callback button in the sandbox inbox (dev mode, no bot token):
the press takes the bot's own callback path (signature, answer, click stored), a
forged one is refused as from Telegram, URL buttons stay links, viewers only look."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from prometheus_client import generate_latest

from herald.auth import Role
from herald.bot.callbacks import REJECTED_ANSWER
from herald.clock import FakeClock
from herald.config import load_settings
from herald.runtime import Runtime
from herald.scheduling.defaults import PROMOS
from tests.integration.dashboard.conftest import Site
from tests.support.app import serve
from tests.support.dashboard import csrf_of, press_forms, sign_in

PREMIUM = PROMOS["promo:premium-signals"]


@pytest.fixture
async def sandboxed(
    database_url: str, clock: FakeClock
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    """Dev mode with no token; the promos schedule has posted to the demo chat."""
    settings = load_settings(env="dev", database_url=database_url)
    async with serve(settings, clock=clock, role=None) as (client, runtime):
        promos = await runtime.schedules.get_by_name("promos")
        assert promos is not None
        await runtime.runner.run_due(promos.id)
        await runtime.worker(exclusive=False).drain()
        yield client, runtime


async def signed_in(client: AsyncClient, runtime: Runtime, role: Role) -> None:
    _, key = await runtime.api_keys.create(f"{role.value} key", role)
    assert (await sign_in(client, key)).status_code == 303


async def clicks(runtime: Runtime) -> int:
    await runtime.clicks.flush()
    return sum(p.clicks for p in await runtime.analytics.promos())


async def test_a_press_is_stored_answered_and_counted(
    sandboxed: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = sandboxed
    await signed_in(client, runtime, Role.ADMIN)
    inbox = await client.get("/sandbox")
    assert PREMIUM.title in inbox.text
    action, csrf, data = press_forms(inbox)[0]

    pressed = await client.post(action, data={"csrf": csrf, "data": data})
    assert pressed.status_code == 200
    assert f"The bot answered: “{PREMIUM.alert_text}”" in pressed.text
    assert await clicks(runtime) == 1
    stored = (await runtime.analytics.promos())[0]
    assert (stored.title, stored.clicks, stored.unique_clickers) == (PREMIUM.title, 1, 1)
    analytics = await client.get("/analytics")
    assert "No clicks yet" not in analytics.text

    forged = await client.post(action, data={"csrf": csrf, "data": data[:-2] + "xx"})
    assert forged.status_code == 400 and REJECTED_ANSWER in forged.text
    assert await clicks(runtime) == 1
    rejected = generate_latest(runtime.metrics.registry).decode()
    assert "telegram_callbacks_rejected_total 1.0" in rejected

    stale_form = await client.post(action, data={"csrf": "forged", "data": data})
    assert stale_form.status_code == 403
    missing = await client.post("/sandbox/999999/press", data={"csrf": csrf, "data": data})
    assert missing.status_code == 404
    assert await clicks(runtime) == 1


async def test_url_buttons_stay_links_and_viewers_get_no_buttons(
    sandboxed: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = sandboxed
    guides = await runtime.schedules.get_by_name("guides")
    assert guides is not None
    await runtime.runner.run_due(guides.id)
    await runtime.worker(exclusive=False).drain()
    await signed_in(client, runtime, Role.VIEWER)
    inbox = await client.get("/sandbox")
    assert not press_forms(inbox)
    await signed_in(client, runtime, Role.ADMIN)
    inbox = await client.get("/sandbox")
    assert len(press_forms(inbox)) == 1  # the promo's one callback button
    assert (
        '<a class="tg-button" href="https://www.investopedia.com/trading-basics-4689641"'
        in inbox.text
    )


async def test_with_a_bot_token_the_sandbox_has_nothing_to_press(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    inbox = await site.client.get("/sandbox")
    refused = await site.client.post("/sandbox/1/press", data={"csrf": csrf_of(inbox), "data": "x"})
    assert refused.status_code == 409 and "press buttons in Telegram" in refused.text
