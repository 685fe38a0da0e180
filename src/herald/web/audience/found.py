"""What a recipient page's token names, checked: the signature, then the recipient."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, status
from fastapi.responses import HTMLResponse

from herald.auth.recipient_links import Purpose, RecipientToken
from herald.runtime import Runtime
from herald.web.audience.render import pages


@dataclass(frozen=True, slots=True)
class Found:
    ref: RecipientToken
    locale: str | None
    preferences_url: str  # the recipient's preference page, as a path on this herald


async def found(request: Request, token: str, purpose: Purpose) -> Found | None:
    """The token's recipient, or None when it is garbled, forged or names no one now."""
    runtime: Runtime = request.app.state.runtime
    links = runtime.recipient_links
    ref = links.verify(token, purpose)
    if ref is None:
        return None
    recipient = await runtime.recipients.get_by_id(ref.recipient_id)
    if recipient is None:
        return None
    page = links.path(RecipientToken(Purpose.PREFERENCES, ref.recipient_id))
    return Found(ref, recipient.locale, page)


def invalid(
    request: Request, locale: str | None = None, code: int = status.HTTP_404_NOT_FOUND
) -> HTMLResponse:
    """The page for a link that names nothing (404), or a POST refused (400 without the
    one-click body, 403 from another site), in the recipient's language if known,
    else the browser's."""
    if locale is None:
        locale = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    bad = code != status.HTTP_404_NOT_FOUND
    return pages(request).render(
        "invalid.html",
        locale or None,
        status_code=code,
        title="bad_request_title" if bad else "invalid_title",
        text="bad_request" if bad else "invalid",
    )
