"""Jinja2 for the dashboard: one environment, a few filters, one ``page`` helper."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from herald.channel import Channel
from herald.web.dashboard.telegram_html import telegram_html

if TYPE_CHECKING:
    from herald.web.dashboard.auth import DashboardUser

HERE = Path(__file__).parent
# Scripts: none; styles and images from herald only; no framing (clickjacking).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# What a redirect after a form may announce: codes, never text taken from the URL.
NOTICES = {
    "preferences-saved": "Preferences saved.",
    "paused": "Schedule paused.",
    "resumed": "Schedule resumed.",
    "created": "Schedule created.",
    "posted": "Posted now: the next item is on its way to every active chat.",
    "reactivated": "Chat reactivated: it gets posts again.",
    "edit-queued": "Edit queued for {n} chat(s): each result shows below once sent.",
    "delete-queued": "Delete queued for {n} message(s): each result shows below once sent.",
    "saved": "Saved.",
    "replayed": "{n} dead letter(s) put back in the queue.",
    "key-revoked": "Key revoked.",
    "webhook-enabled": "Webhook enabled.",
    "webhook-disabled": "Webhook disabled: nothing is sent to it until enabled.",
    "webhook-tested": "A webhook.test event is on its way.",
    "webhook-deleted": "Webhook deleted.",
    "signed-out": "Signed out.",
}
NAV = (
    ("overview", "/", "Overview"),
    ("schedules", "/schedules", "Schedules"),
    ("content", "/content", "Content"),
    ("deliveries", "/deliveries", "Deliveries"),
    ("analytics", "/analytics", "Analytics"),
    ("recipients", "/recipients", "Recipients"),
    ("sandbox", "/sandbox", "Sandbox"),
    ("webhooks", "/webhooks", "Webhooks"),
    ("keys", "/keys", "API keys"),
)


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def every(seconds: float | None) -> str:
    """An interval as people say it: 4 h, 1.5 h, 20 min, 30 s."""
    if not seconds:
        return "—"
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.4g} {unit}"
    return f"{seconds:.4g} s"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def notice(request: Request) -> str | None:
    text = NOTICES.get(request.query_params.get("notice", ""))
    count = request.query_params.get("n", "0")
    return text.format(n=int(count) if count.isdigit() else 0) if text else None


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    env = templates.env
    env.filters["when"] = when
    env.filters["pretty_json"] = pretty_json
    env.filters["every"] = every
    env.filters["telegram"] = telegram_html
    env.globals["nav"] = NAV
    env.globals["Channel"] = Channel
    return templates


class Pages:
    """Renders a page with what every page shows: the user, the nav, the sandbox banner."""

    def __init__(self) -> None:
        self.templates = build_templates()

    def render(
        self,
        request: Request,
        name: str,
        user: DashboardUser | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        runtime = request.app.state.runtime
        return self.templates.TemplateResponse(
            request,
            name,
            {
                "user": user,
                "csrf": user.session.csrf if user else "",
                "sandbox_channels": runtime.sandbox_channels,
                "notice": notice(request),
                **context,
            },
            status_code=status_code,
            headers=SECURITY_HEADERS,
        )
