"""Signing in to the dashboard the way a browser does: the login form, its CSRF
token, the session cookie, or dev mode's one-time link; reading a page's CSRF token
for its forms, and the sandbox inbox's callback buttons."""

from __future__ import annotations

import re

from httpx import AsyncClient, Response

_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_LINK_TOKEN = re.compile(r'name="token" value="([^"]*)"')
_PRESS = re.compile(
    r'<form class="tg-press" method="post" action="(/sandbox/\d+/press)">\s*'
    r'<input type="hidden" name="csrf" value="([^"]*)">\s*'
    r'<input type="hidden" name="data" value="([^"]*)">'
)


def csrf_of(page: Response | str) -> str:
    text = page if isinstance(page, str) else page.text
    match = _CSRF.search(text)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


async def sign_in(client: AsyncClient, api_key: str, next_url: str = "/") -> Response:
    form = await client.get("/login", params={"next": next_url})
    return await client.post(
        "/login", data={"api_key": api_key, "csrf": csrf_of(form), "next": next_url}
    )


async def use_sign_in_link(client: AsyncClient, token: str) -> Response:
    """What a browser does with the link `herald serve` prints: open it, press its button."""
    page = await client.get("/login/link", params={"token": token})
    if page.status_code != 200:
        return page
    match = _LINK_TOKEN.search(page.text)
    assert match and match.group(1) == token
    return await client.post("/login/link", data={"token": token, "csrf": csrf_of(page)})


def press_forms(page: Response | str) -> list[tuple[str, str, str]]:
    """The sandbox inbox's callback buttons: (form action, CSRF token, callback data)."""
    return _PRESS.findall(page if isinstance(page, str) else page.text)
