"""The one-time sign-in link of dev mode: one use, 15 minutes, an owner's session like
an API key's (CSRF, revocation), and refused with a page, never a 500, in every other
case; in prod the route refuses even a link the database holds."""

from __future__ import annotations

from herald.auth import Role
from herald.clock import FakeClock
from herald.config import load_settings
from tests.integration.dashboard.conftest import Site
from tests.support.app import serve
from tests.support.dashboard import csrf_of, use_sign_in_link


async def test_a_link_signs_in_an_owner_once(site: Site) -> None:
    token = await site.runtime.sign_in_links.create()
    signed_in = await use_sign_in_link(site.client, token)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
    keys_page = await site.client.get("/keys")  # an owner's page
    assert keys_page.status_code == 200 and "dashboard sign-in link" in keys_page.text
    # The session is an API-key session: its forms need its CSRF token.
    key = next(k for k in await site.runtime.api_keys.list() if k.name == "dashboard sign-in link")
    assert key.role is Role.OWNER
    forged = await site.client.post(f"/keys/{key.id}/revoke", data={"csrf": "forged"})
    assert forged.status_code == 403

    site.client.cookies.clear()
    again = await use_sign_in_link(site.client, token)
    assert again.status_code == 410 and "already used" in again.text
    assert (await site.client.get("/keys")).status_code == 303  # still signed out


async def test_a_press_after_the_page_was_opened_twice_signs_in_once(site: Site) -> None:
    token = await site.runtime.sign_in_links.create()
    first = await site.client.get("/login/link", params={"token": token})
    second = await site.client.get("/login/link", params={"token": token})
    assert first.status_code == second.status_code == 200  # a GET uses nothing
    form_token = csrf_of(second)
    pressed = await site.client.post("/login/link", data={"token": token, "csrf": form_token})
    assert pressed.status_code == 303
    # The other tab's button, pressed later (its form cookie as it was).
    site.client.cookies.set("herald_login", form_token)
    late_press = await site.client.post("/login/link", data={"token": token, "csrf": form_token})
    assert late_press.status_code == 410 and "already used" in late_press.text


async def test_a_link_expires_after_15_minutes(site: Site, clock: FakeClock) -> None:
    token = await site.runtime.sign_in_links.create()
    clock.advance(15 * 60 - 1)
    opened = await site.client.get("/login/link", params={"token": token})
    assert opened.status_code == 200
    clock.advance(1)
    pressed = await site.client.post("/login/link", data={"token": token, "csrf": csrf_of(opened)})
    assert pressed.status_code == 410 and "expired" in pressed.text
    assert "herald_session" not in site.client.cookies
    assert (await use_sign_in_link(site.client, token)).status_code == 410


async def test_unknown_tokens_and_forged_forms_are_refused(site: Site) -> None:
    for token in ("", "hl_not-a-link", "hk_an-api-key-shape", "x" * 200):
        page = await site.client.get("/login/link", params={"token": token})
        assert page.status_code == 404 and "not one herald made" in page.text
    token = await site.runtime.sign_in_links.create()
    forged = await site.client.post("/login/link", data={"token": token, "csrf": "forged"})
    assert forged.status_code == 403 and "herald_session" not in site.client.cookies
    assert (await use_sign_in_link(site.client, token)).status_code == 303  # still unused


async def test_prod_refuses_links(database_url: str, clock: FakeClock) -> None:
    settings = load_settings(env="prod", database_url=database_url, secret_key="k" * 40)
    async with serve(settings, clock=clock, role=None) as (client, runtime):
        token = await runtime.sign_in_links.create()
        page = await client.get("/login/link", params={"token": token})
        assert page.status_code == 404 and "dev mode only" in page.text
        pressed = await client.post(
            "/login/link", data={"token": token, "csrf": client.cookies["herald_login"]}
        )
        assert pressed.status_code == 404 and "herald_session" not in client.cookies
        assert await runtime.sign_in_links.check(token) is None  # refused, not spent
