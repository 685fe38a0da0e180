"""A schedule created or edited: name, chats, cadence, playlist, enabled.

The form is parsed with the API's own bodies (``ScheduleIn``, ``SchedulePatch``) and
saved through ``SchedulerService``, as the API saves it, so the two faces accept the
same schedules and refuse the same ones naming the same field; here each refusal is
shown under its field.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from herald.scheduling.options import NO_OPTIONS
from herald.scheduling.schedules import (
    DEFAULT_INTERVAL_SECONDS,
    ChatTarget,
    Schedule,
    ScheduleExists,
    ScheduleKind,
    ScheduleRuleError,
)
from herald.web.dashboard import post_options
from herald.web.dashboard.auth import DashboardUser, Operator, OperatorPage
from herald.web.dashboard.deps import PagesDep
from herald.web.deps import RuntimeDep
from herald.web.scheduling_schemas import ScheduleIn, SchedulePatch

router = APIRouter(prefix="/schedules")
Errors = dict[str, list[str]]  # field -> what is wrong with it ("form": the whole)


def _form_of(schedule: Schedule) -> dict[str, Any]:
    cadence = schedule.cadence
    return {
        "name": schedule.name,
        "kind": schedule.kind.value,
        "chat_ids": "\n".join(_chat_line(c.target) for c in schedule.chats),
        "interval_seconds": str(cadence.interval_seconds or ""),
        "cron": cadence.cron or "",
        "timezone": cadence.timezone,
        "items": ", ".join(str(i) for i in schedule.items),
        "enabled": schedule.enabled,
        "post_on_start": schedule.post_on_start,
        **post_options.form_of(schedule.options),
    }


def _chat_line(chat: ChatTarget) -> str:
    """A chat as the form's text writes it: ``-1001234``, or ``-1001234/5`` for a topic."""
    return f"{chat.chat_id}/{chat.topic_id}" if chat.topic_id else chat.chat_id


async def _read_form(request: Request) -> dict[str, Any]:
    form = await request.form()

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    fields = {n: text(n) for n in ("name", "kind", "chat_ids", "interval_seconds", "cron")}
    return {
        **fields,
        "timezone": text("timezone"),
        "items": text("items"),
        "enabled": bool(form.get("enabled")),
        "post_on_start": bool(form.get("post_on_start")),
        **post_options.read(form),
    }


def _body(form: dict[str, Any], kind: str) -> dict[str, Any]:
    """The form as the API's JSON body: empty fields left out, chat ids one a line
    (or as the API takes them), playlist items separated by commas or spaces."""
    chats = form["chat_ids"]
    body: dict[str, Any] = {
        "name": form["name"],
        "chat_ids": chats if chats.startswith("[") else ",".join(chats.splitlines()),
        "enabled": form["enabled"],
        "post_on_start": form["post_on_start"],
        "options": post_options.body(form),
    }
    for name in ("interval_seconds", "cron", "timezone"):
        if form[name]:
            body[name] = form[name]
    if kind == ScheduleKind.PLAYLIST:
        body["items"] = [i for i in re.split(r"[\s,]+", form["items"]) if i]
    return body


def _errors(exc: Exception) -> Errors:
    """What is wrong, by field, in the API's words."""
    found: Errors = {}
    if isinstance(exc, ValidationError):
        for e in exc.errors():
            loc = [str(part) for part in e["loc"]]
            where = ".".join(loc)
            found.setdefault(loc[0] if loc else "form", []).append(
                f"{where}: {e['msg']}" if where else e["msg"]
            )
    elif isinstance(exc, ScheduleRuleError):
        found[str(exc.loc[0])] = [f"{'.'.join(str(p) for p in exc.loc)}: {exc.msg}"]
    elif isinstance(exc, ScheduleExists):
        found["name"] = [f"name: {exc}"]
    return found


async def _page(
    request: Request,
    pages: PagesDep,
    runtime: RuntimeDep,
    user: DashboardUser,
    form: dict[str, Any],
    schedule_id: int | None,
    errors: Errors,
) -> HTMLResponse:
    return pages.render(
        request,
        "schedule_edit.html",
        user,
        status_code=422 if errors else 200,
        active="schedules",
        form=form,
        schedule_id=schedule_id,
        kinds=[k.value for k in ScheduleKind],
        content=await runtime.content.all(),
        errors=errors,
    )


async def _found(runtime: RuntimeDep, schedule_id: int) -> Schedule:
    found = await runtime.schedules.get(schedule_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"schedule {schedule_id} not found")
    return found


@router.get("/new", response_class=HTMLResponse)
async def new_schedule(
    request: Request, user: OperatorPage, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    form = {
        "name": "", "kind": ScheduleKind.GUIDES.value, "chat_ids": "",
        "interval_seconds": str(DEFAULT_INTERVAL_SECONDS), "cron": "", "timezone": "UTC",
        "items": "", "enabled": True, "post_on_start": False,
        **post_options.form_of(NO_OPTIONS),
    }  # fmt: skip
    return await _page(request, pages, runtime, user, form, None, {})


@router.post("/new")
async def create_schedule(
    request: Request, user: Operator, pages: PagesDep, runtime: RuntimeDep
) -> Response:
    form = await _read_form(request)
    try:
        body = ScheduleIn.model_validate({**_body(form, form["kind"]), "kind": form["kind"]})
        created = await runtime.scheduler.create(body.spec())
    except (ValidationError, ScheduleRuleError, ScheduleExists) as exc:
        return await _page(request, pages, runtime, user, form, None, _errors(exc))
    return RedirectResponse(f"/schedules/{created.id}?notice=created", status.HTTP_303_SEE_OTHER)


@router.get("/{schedule_id}/edit", response_class=HTMLResponse)
async def edit_schedule(
    schedule_id: int, request: Request, user: OperatorPage, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    form = _form_of(await _found(runtime, schedule_id))
    return await _page(request, pages, runtime, user, form, schedule_id, {})


@router.post("/{schedule_id}/edit")
async def save_schedule(
    schedule_id: int, request: Request, user: Operator, pages: PagesDep, runtime: RuntimeDep
) -> Response:
    current = await _found(runtime, schedule_id)
    form = {**await _read_form(request), "kind": current.kind.value}
    try:
        patch = SchedulePatch.model_validate(_body(form, current.kind))
        changes = patch.changes(current)
        if patch.targets() == [c.target for c in current.chats]:
            # listing a chat makes it active again: only a changed list does that
            changes = replace(changes, chat_ids=None)
        await runtime.scheduler.update(schedule_id, changes)
    except (ValidationError, ScheduleRuleError, ScheduleExists) as exc:
        return await _page(request, pages, runtime, user, form, schedule_id, _errors(exc))
    return RedirectResponse(f"/schedules/{schedule_id}?notice=saved", status.HTTP_303_SEE_OTHER)
