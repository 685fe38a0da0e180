"""Jinja2 for the recipient pages: autoescaped, in the recipient's language, with
headers that keep the token in the URL to herald (no cross-site referrer, no caching,
no framing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from herald.web.audience.phrases import phrases_for
from herald.web.dashboard.render import SECURITY_HEADERS

HERE = Path(__file__).parent
# The dashboard's policy: no scripts, forms post to herald only, no framing, and a
# Referer only to herald itself (the page's URL is the recipient's credential; with
# no-referrer at all a browser would send its own form's POST with "Origin: null").
HEADERS = {**SECURITY_HEADERS, "X-Robots-Tag": "noindex"}


class RecipientPages:
    def __init__(self) -> None:
        self._env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(
        self, name: str, locale: str | None, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        lang, words = phrases_for(locale)
        html = self._env.get_template(name).render(lang=lang, t=words, **context)
        return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def pages(request: Request) -> RecipientPages:
    found: RecipientPages = request.app.state.recipient_pages
    return found
