"""``/u/{token}``: one-click unsubscribe (RFC 8058).

``POST`` with the body ``List-Unsubscribe=One-Click`` (what a mail provider sends, and
what the confirmation page's button sends) unsubscribes at once and answers 200,
however often it is repeated. ``GET`` only shows that button: link scanners and mail
previews follow GETs, and a GET must never unsubscribe anyone. A garbled or forged
token, or one naming a recipient that no longer exists, is a 404 page; a POST without
the one-click body a 400 page; never a 500.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, status
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from herald.auth.recipient_links import Purpose, RecipientToken
from herald.preferences import CategoryNotFound
from herald.preferences.optouts import Source
from herald.runtime import Runtime
from herald.web.audience.found import Found, found, invalid
from herald.web.audience.phrases import phrases_for
from herald.web.audience.render import pages
from herald.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
# Unconstrained: a token of any length or shape is a page (404), never FastAPI's 422.
Token = Annotated[str, Path()]


@router.get("/u/{token}", response_class=HTMLResponse)
async def confirm(token: Token, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    here = await found(request, token, Purpose.UNSUBSCRIBE)
    if here is None:
        return invalid(request)
    return await _answer(request, runtime, here, "unsubscribe.html")


@router.post("/u/{token}", response_class=HTMLResponse)
async def unsubscribe(token: Token, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    here = await found(request, token, Purpose.UNSUBSCRIBE)
    if here is None:
        return invalid(request)
    try:
        form = await request.form()
    except StarletteHTTPException:  # a garbled multipart body
        form = FormData()
    if form.get("List-Unsubscribe") != "One-Click":
        return invalid(request, here.locale, status.HTTP_400_BAD_REQUEST)
    ref = here.ref
    if ref.category is None or ref.category in await runtime.categories.keys():
        await runtime.opt_outs.unsubscribe(
            ref.recipient_id, category=ref.category, channel=ref.channel, source=Source.ONE_CLICK
        )
    # A category deleted since the mail was sent sends nothing more: done all the same.
    return await _answer(request, runtime, here, "unsubscribed.html")


async def _answer(request: Request, runtime: Runtime, here: Found, name: str) -> HTMLResponse:
    what = await _what(runtime, here)
    return pages(request).render(name, here.locale, what=what, preferences_url=here.preferences_url)


async def _what(runtime: Runtime, here: Found) -> str:
    """What the token unsubscribes from, in the recipient's words ("“Promos” by Email")."""
    _, t = phrases_for(here.locale)
    ref: RecipientToken = here.ref
    what = t["what_all"]
    if ref.category is not None:
        try:
            name = (await runtime.categories.get(ref.category)).name
        except CategoryNotFound:
            name = ref.category
        what = t["what_category"].format(category=name)
    if ref.channel is not None:
        what = t["by_channel"].format(what=what, channel=t[ref.channel])
    return what
