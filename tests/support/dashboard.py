"""Signing in to the dashboard the way a browser does: the login form, its CSRF
token, the session cookie; and reading a page's CSRF token for its forms."""

from __future__ import annotations

import re

from httpx import AsyncClient, Response

_CSRF = re.compile(r'name="csrf" value="([^"]*)"')


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
