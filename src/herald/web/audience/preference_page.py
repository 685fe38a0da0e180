"""``/preferences/{token}``: the recipient's own page, a plain form (no script).

It sets the channels campaign messages may use at all, the channels per category, the
time zone and quiet hours, or "unsubscribe from everything"; saving replaces the
recipient's preferences (``PreferenceStore.put``, source ``page``) and redirects back
(303) with a notice. No session: the token is the credential, and a POST is taken only
from herald's own form (a cross-site ``Sec-Fetch-Site`` or a foreign ``Origin`` is a
403 page), so another site cannot post it even when it knows the URL.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from herald.auth.recipient_links import Purpose
from herald.channel import Channel
from herald.preferences import ALL_CHANNELS, PreferenceRuleError, Preferences
from herald.preferences.optouts import Source
from herald.runtime import Runtime
from herald.web.audience.found import Found, found, invalid
from herald.web.audience.render import pages
from herald.web.deps import RuntimeDep
from herald.web.preference_form import preferences_from_form, timezones

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path()]  # any shape: a bad one is a 404 page


@router.get("/preferences/{token}", response_class=HTMLResponse)
async def show(token: Token, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    here = await found(request, token, Purpose.PREFERENCES)
    if here is None:
        return invalid(request)
    prefs = await runtime.preferences.get(here.ref.recipient_id)
    return await _page(request, here, prefs, saved=request.query_params.get("saved") == "1")


@router.post("/preferences/{token}", response_class=HTMLResponse)
async def save(token: Token, request: Request, runtime: RuntimeDep) -> Response:
    here = await found(request, token, Purpose.PREFERENCES)
    if here is None:
        return invalid(request)
    if not _from_our_form(request, runtime.recipient_links.public_url):
        return invalid(request, here.locale, status.HTTP_403_FORBIDDEN)
    form = await request.form()
    keys = sorted(await runtime.categories.keys())
    try:
        prefs = preferences_from_form(form, keys)
    except PreferenceRuleError as exc:
        current = await runtime.preferences.get(here.ref.recipient_id)
        return await _page(
            request, here, current, error=exc.msg, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    await runtime.opt_outs.put(here.ref.recipient_id, prefs, source=Source.PAGE)
    return RedirectResponse(f"{request.url.path}?saved=1", status.HTTP_303_SEE_OTHER)


async def _page(
    request: Request,
    here: Found,
    prefs: Preferences,
    *,
    saved: bool = False,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    runtime: Runtime = request.app.state.runtime
    quiet = prefs.quiet_hours.as_text() if prefs.quiet_hours else ("", "")
    return pages(request).render(
        "preferences.html",
        here.locale,
        status_code=status_code,
        channels=list(Channel),
        channels_on=ALL_CHANNELS - prefs.channels_off,
        categories=[
            (c, prefs.categories.get(c.key, ALL_CHANNELS)) for c in await runtime.categories.list()
        ],
        timezones=timezones(),
        timezone=prefs.timezone or "",
        quiet_start=quiet[0],
        quiet_end=quiet[1],
        unsubscribed_all=prefs.unsubscribed_all,
        saved=saved,
        error=error,
    )


def _from_our_form(request: Request, public_url: str | None) -> bool:
    """Whether the browser says the POST came from herald's own page (or says nothing,
    as clients without Fetch Metadata do)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    ours = {request.headers.get("host", "")}
    if public_url:
        ours.add(urlsplit(public_url).netloc)
    return urlsplit(origin).netloc in ours
