"""A run of a schedule: each chat's post and what was done to it since (pins, unpins,
edits, deletes, with Telegram's words when one failed); "edit everywhere" and "delete
everywhere" through the same PostLifecycle as the API."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from herald.db.types import MAX_ID
from herald.web.dashboard.auth import Operator, User
from herald.web.dashboard.deps import PagesDep
from herald.web.deps import RuntimeDep

router = APIRouter(prefix="/schedules")
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/{schedule_id}/runs/{run_id}", response_class=HTMLResponse)
async def run_page(
    schedule_id: Id, run_id: Id, request: Request, user: User, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    schedule = await runtime.schedules.get(schedule_id)
    run = await runtime.runs.run(run_id)
    if schedule is None or run is None or run.schedule_id != schedule_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"run {run_id} not found")
    return pages.render(
        request, "schedule_run.html", user, active="schedules", schedule=schedule, run=run
    )


@router.post("/{schedule_id}/runs/{run_id}/{action}")
async def change_everywhere(
    schedule_id: Id,
    run_id: Id,
    action: Literal["edit", "delete"],
    _: Operator,
    runtime: RuntimeDep,
) -> RedirectResponse:
    """Edit everywhere or delete everywhere; RunNotFound is a 404, LifecycleRefused a
    409, as error pages (web/api/errors.py)."""
    ask = runtime.lifecycle.edit if action == "edit" else runtime.lifecycle.delete
    result = await ask(schedule_id, run_id)
    url = f"/schedules/{schedule_id}/runs/{run_id}?notice={action}-queued&n={result.queued}"
    return RedirectResponse(url, status.HTTP_303_SEE_OTHER)
