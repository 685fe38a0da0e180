"""The pages herald hosts for recipients, not operators: one-click unsubscribe
(``/u/{token}``) and the preference page (``/preferences/{token}``); no login, the
signed token in the URL is the credential (auth/recipient_links.py)."""

from __future__ import annotations

from fastapi import FastAPI

from herald.web.audience import preference_page, unsubscribe
from herald.web.audience.render import RecipientPages


def mount(app: FastAPI) -> None:
    app.state.recipient_pages = RecipientPages()
    app.include_router(unsubscribe.router)
    app.include_router(preference_page.router)
