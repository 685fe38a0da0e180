"""Schedules: next run, last result, the upcoming rotation; pause, resume, run now; chats
whose bot was added back, offered for reactivation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
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
    found = await runtime.schedules.all()
    shown = [await runtime.scheduler.view(s) for s in found]
    readded: dict[str, list[str]] = {}  # chat -> the schedules it is inactive in
    for s in found:
        for c in s.chats:
            if not c.active and c.readded_at is not None:
                readded.setdefault(c.chat_id, []).append(s.name)
    return pages.render(
        request, "schedules.html", user, active="schedules", schedules=shown, readded=readded
    )


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


@router.post("/chats/{chat_id}/reactivate")
async def reactivate(
    chat_id: Annotated[str, Path(min_length=1, max_length=64)],
    _: Operator,
    runtime: RuntimeDep,
) -> RedirectResponse:
    """Post to a chat again in every schedule it was inactive in (after the bot was
    added back, or whenever an operator knows better)."""
    if not await runtime.schedules.reactivate_chat(chat_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no inactive chat {chat_id}")
    return RedirectResponse("/schedules?notice=reactivated", status.HTTP_303_SEE_OTHER)
