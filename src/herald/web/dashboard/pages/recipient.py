"""One recipient: addresses, and their preferences viewed and (operators) edited with
the fields of the recipient's own page (web/audience/preference_page.py's parser)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from herald.channel import Channel
from herald.messaging.recipients import Recipient
from herald.preferences import ALL_CHANNELS, PreferenceRuleError, Preferences
from herald.runtime import Runtime
from herald.web.dashboard.auth import DashboardUser, Operator, User
from herald.web.dashboard.deps import PagesDep
from herald.web.deps import RuntimeDep
from herald.web.preference_form import preferences_from_form, timezones
from herald.web.schemas import StoredText

router = APIRouter(prefix="/recipients")
# The recipient page's phrase keys, said for an operator.
_SAID = {"quiet_both": "quiet hours: give both the start and the end"}


async def _found(runtime: Runtime, external_id: str) -> Recipient:
    recipient = await runtime.recipients.get(external_id)
    if recipient is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no recipient {external_id!r}")
    return recipient


async def _page(
    request: Request,
    pages: PagesDep,
    runtime: Runtime,
    user: DashboardUser,
    recipient: Recipient,
    prefs: Preferences,
    error: str | None = None,
) -> HTMLResponse:
    quiet = prefs.quiet_hours.as_text() if prefs.quiet_hours else ("", "")
    return pages.render(
        request,
        "recipient.html",
        user,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT if error else 200,
        active="recipients",
        recipient=recipient,
        channels=list(Channel),
        channels_on=ALL_CHANNELS - prefs.channels_off,
        categories=[
            (c, prefs.categories.get(c.key, ALL_CHANNELS)) for c in await runtime.categories.list()
        ],
        prefs=prefs,
        quiet_start=quiet[0],
        quiet_end=quiet[1],
        timezones=timezones(),
        default_zone=runtime.settings.audience.default_timezone,
        default_quiet=runtime.settings.audience.quiet_hours,
        error=error,
    )


@router.get("/{external_id}", response_class=HTMLResponse)
async def recipient_page(
    external_id: StoredText, request: Request, user: User, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    recipient = await _found(runtime, external_id)
    prefs = await runtime.preferences.get(recipient.id)
    return await _page(request, pages, runtime, user, recipient, prefs)


@router.post("/{external_id}/preferences", response_class=HTMLResponse)
async def save_preferences(
    external_id: StoredText,
    request: Request,
    user: Operator,
    pages: PagesDep,
    runtime: RuntimeDep,
) -> Response:
    """Replace the recipient's preferences as the operator (source dashboard)."""
    recipient = await _found(runtime, external_id)
    keys = sorted(await runtime.categories.keys())
    try:
        prefs = preferences_from_form(await request.form(), keys)
        await runtime.preferences.put(recipient.id, prefs, source="dashboard")
    except PreferenceRuleError as exc:
        current = await runtime.preferences.get(recipient.id)
        said = _SAID.get(exc.msg, f"{'.'.join(map(str, exc.loc))}: {exc.msg}")
        return await _page(request, pages, runtime, user, recipient, current, error=said)
    return RedirectResponse(
        f"{request.url.path.rsplit('/', 1)[0]}?notice=preferences-saved",
        status.HTTP_303_SEE_OTHER,
    )
