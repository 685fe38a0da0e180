"""The sandbox inbox: what channels without credentials would have sent, as it would look."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from herald.channel import Channel
from herald.channels.sandbox import read_inbox
from herald.web.dashboard.auth import User
from herald.web.dashboard.deps import PagesDep
from herald.web.dashboard.paging import one_page
from herald.web.deps import RuntimeDep

router = APIRouter(prefix="/sandbox")
PAGE = 50


@router.get("", response_class=HTMLResponse)
async def sandbox(
    request: Request,
    user: User,
    pages: PagesDep,
    runtime: RuntimeDep,
    channel: Annotated[Channel | Literal[""], Query()] = "",
    before_id: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    messages, last = one_page(
        await read_inbox(runtime.db, channel=channel or None, limit=PAGE + 1, before_id=before_id),
        PAGE,
    )
    return pages.render(
        request,
        "sandbox.html",
        user,
        active="sandbox",
        messages=messages,
        channel=channel,
        next_before=last["id"] if last else None,
    )
