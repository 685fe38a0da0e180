"""The overview: the queue by lane and state, the last hour, the schedules' next runs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from herald.queue import Lane, State
from herald.queue import admin as queue_admin
from herald.web.dashboard.auth import User
from herald.web.dashboard.deps import PagesDep
from herald.web.deps import RuntimeDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def overview(
    request: Request, user: User, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    stats = await queue_admin.stats(runtime.queue)
    return pages.render(
        request,
        "overview.html",
        user,
        active="overview",
        lanes=[lane.label for lane in Lane],
        states=[state.value for state in State],
        stats=stats,
        activity=await queue_admin.activity(runtime.queue),
        schedules=await runtime.schedules.all(),
        channels=sorted(runtime.senders),
    )
