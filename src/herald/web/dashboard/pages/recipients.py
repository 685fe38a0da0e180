"""Recipients: who herald can reach, on which channels, and who opted out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from herald.web.dashboard.auth import User
from herald.web.dashboard.deps import PagesDep
from herald.web.dashboard.paging import one_page
from herald.web.deps import RuntimeDep

router = APIRouter(prefix="/recipients")
PAGE = 100


@router.get("", response_class=HTMLResponse)
async def recipients(
    request: Request,
    user: User,
    pages: PagesDep,
    runtime: RuntimeDep,
    after_id: Annotated[int, Query(ge=0)] = 0,
) -> HTMLResponse:
    found, last = one_page(await runtime.recipients.page(after_id=after_id, limit=PAGE + 1), PAGE)
    return pages.render(
        request,
        "recipients.html",
        user,
        active="recipients",
        recipients=found,
        next_after=last.id if last else None,
    )
