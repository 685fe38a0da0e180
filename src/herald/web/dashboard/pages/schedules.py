"""Schedules: next run, last result, the upcoming rotation; pause, resume, run now."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from herald.scheduling.schedules import ScheduleChanges
from herald.web.dashboard.auth import Operator, User
from herald.web.dashboard.deps import PagesDep
from herald.web.deps import RuntimeDep

router = APIRouter(prefix="/schedules")


@router.get("", response_class=HTMLResponse)
async def schedules(
    request: Request, user: User, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    shown = [await runtime.scheduler.view(s) for s in await runtime.schedules.all()]
    return pages.render(request, "schedules.html", user, active="schedules", schedules=shown)


@router.get("/{schedule_id}", response_class=HTMLResponse)
async def schedule(
    schedule_id: int, request: Request, user: User, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    found = await runtime.schedules.get(schedule_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"schedule {schedule_id} not found")
    runs = await runtime.runs.runs(schedule_id, limit=20)
    return pages.render(
        request,
        "schedule.html",
        user,
        active="schedules",
        view=await runtime.scheduler.view(found),
        runs=runs,
    )


async def _set_enabled(runtime: RuntimeDep, schedule_id: int, enabled: bool) -> RedirectResponse:
    if await runtime.scheduler.update(schedule_id, ScheduleChanges(enabled=enabled)) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"schedule {schedule_id} not found")
    notice = "resumed" if enabled else "paused"
    return RedirectResponse(f"/schedules?notice={notice}", status.HTTP_303_SEE_OTHER)


@router.post("/{schedule_id}/pause")
async def pause(schedule_id: int, _: Operator, runtime: RuntimeDep) -> RedirectResponse:
    return await _set_enabled(runtime, schedule_id, False)


@router.post("/{schedule_id}/resume")
async def resume(schedule_id: int, _: Operator, runtime: RuntimeDep) -> RedirectResponse:
    return await _set_enabled(runtime, schedule_id, True)


@router.post("/{schedule_id}/run")
async def run_now(schedule_id: int, _: Operator, runtime: RuntimeDep) -> RedirectResponse:
    if await runtime.runner.run_now(schedule_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"schedule {schedule_id} not found")
    return RedirectResponse(f"/schedules/{schedule_id}?notice=posted", status.HTTP_303_SEE_OTHER)
