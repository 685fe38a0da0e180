"""`herald schedules list|run|pause|resume` and `herald schedules runs list|edit|delete`:
the schedules API from the shell."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from herald.cli.common import CliError, JsonOpt, out_console, print_json, run_with_runtime
from herald.runtime import Runtime
from herald.scheduling.lifecycle import LifecycleRefused, LifecycleResult, RunNotFound
from herald.scheduling.runner import RunResult
from herald.scheduling.runs import Run
from herald.scheduling.schedules import Schedule, ScheduleChanges, ScheduleChat

schedules_app = typer.Typer(help="List, run, pause and resume schedules.", no_args_is_help=True)
runs_app = typer.Typer(
    help="A schedule's post log; edit or delete a run's posts everywhere.", no_args_is_help=True
)
schedules_app.add_typer(runs_app, name="runs")
ScheduleArg = Annotated[str, typer.Argument(help="Schedule id or name.")]
RunArg = Annotated[int, typer.Argument(help="Run id (see `herald schedules runs list`).", min=1)]
RequestOpt = Annotated[
    str | None,
    typer.Option("--request-id", help="This request's id: repeating it queues nothing twice."),
]


async def _find(runtime: Runtime, ref: str) -> Schedule:
    schedule = (
        await runtime.schedules.get(int(ref)) if ref.isdigit() else None
    ) or await runtime.schedules.get_by_name(ref)
    if schedule is None:
        raise CliError(f"no schedule {ref!r}: see `herald schedules list`")
    return schedule


def _cadence(schedule: Schedule) -> str:
    c = schedule.cadence
    if c.cron is not None:
        return f"cron {c.cron} ({c.timezone})"
    seconds = c.interval_seconds or 0
    return f"every {seconds / 3600:g} h" if seconds >= 3600 else f"every {seconds} s"


def _target(chat_id: str, topic_id: int | None) -> str:
    """A chat, a forum topic after a colon: ``-1001:5``."""
    return f"{chat_id}:{topic_id}" if topic_id else chat_id


def _chat_json(chat: ScheduleChat) -> dict[str, object]:
    """A chat, with its ``topic_id`` only when it has one (as the API answers it)."""
    data: dict[str, object] = {"chat_id": chat.chat_id}
    if chat.topic_id:
        data["topic_id"] = chat.topic_id
    return data | {"active": chat.active, "inactive_reason": chat.inactive_reason}


def _as_json(schedule: Schedule) -> dict[str, object]:
    return {
        "id": schedule.id,
        "name": schedule.name,
        "kind": schedule.kind.value,
        "enabled": schedule.enabled,
        "interval_seconds": schedule.cadence.interval_seconds,
        "cron": schedule.cadence.cron,
        "timezone": schedule.cadence.timezone,
        "chats": [_chat_json(c) for c in schedule.chats],
        "position": schedule.position,
        "next_run_time": schedule.next_slot_at.isoformat() if schedule.next_slot_at else None,
        "last_run_time": schedule.last_slot_at.isoformat() if schedule.last_slot_at else None,
        "last_result": schedule.last_result,
    }


@schedules_app.command("list")
def list_schedules(as_json: JsonOpt = False) -> None:
    """Every schedule: cadence, chats, next and last run."""

    async def action(runtime: Runtime) -> list[Schedule]:
        return await runtime.schedules.all()

    found = run_with_runtime(action)
    if as_json:
        print_json([_as_json(s) for s in found])
        return
    table = Table(title="schedules")
    for column in ("id", "name", "kind", "state", "cadence", "chats", "next run", "last result"):
        table.add_column(column)
    for s in found:
        active = [_target(c.chat_id, c.topic_id) for c in s.chats if c.active]
        inactive = len(s.chats) - len(active)
        chats = ", ".join(active) + (f" (+{inactive} inactive)" if inactive else "")
        table.add_row(
            str(s.id),
            s.name,
            s.kind.value,
            "enabled" if s.enabled else "paused",
            _cadence(s),
            chats,
            s.next_slot_at.strftime("%Y-%m-%d %H:%M UTC") if s.next_slot_at else "-",
            str((s.last_result or {}).get("status", "-")),
        )
    out_console.print(table)


@schedules_app.command("run")
def run_schedule(schedule: ScheduleArg, as_json: JsonOpt = False) -> None:
    """Post the schedule's next item now (a worker sends it)."""

    async def action(runtime: Runtime) -> RunResult:
        found = await _find(runtime, schedule)
        result = await runtime.runner.run_now(found.id)
        if result is None:
            raise CliError(f"schedule {schedule!r} vanished while running")
        return result

    result = run_with_runtime(action)
    if as_json:
        print_json(
            {
                "run_id": result.run_id,
                "status": result.status,
                "content_id": result.content_id,
                "chats": result.chats,
            }
        )
        return
    out_console.print(
        f"run {result.run_id}: {result.status}, content {result.content_id or '-'}, "
        f"{result.chats} chat(s) queued",
        highlight=False,
    )


def _set_enabled(schedule: str, enabled: bool, as_json: bool) -> None:
    async def action(runtime: Runtime) -> Schedule:
        found = await _find(runtime, schedule)
        updated = await runtime.schedules.update(found.id, ScheduleChanges(enabled=enabled))
        if updated is None:
            raise CliError(f"schedule {schedule!r} vanished")
        return updated

    updated = run_with_runtime(action)
    if as_json:
        print_json(_as_json(updated))
        return
    when = updated.next_slot_at.strftime("%Y-%m-%d %H:%M UTC") if updated.next_slot_at else "-"
    state = f"resumed, next run {when}" if enabled else "paused"
    out_console.print(f"schedule {updated.name}: {state}", highlight=False)


@schedules_app.command("pause")
def pause(schedule: ScheduleArg, as_json: JsonOpt = False) -> None:
    """Stop posting until resumed (serve processes notice within HERALD_SCHEDULE_SYNC_SECONDS)."""
    _set_enabled(schedule, False, as_json)


@schedules_app.command("resume")
def resume(schedule: ScheduleArg, as_json: JsonOpt = False) -> None:
    """Post again from now on (at once if the schedule has post_on_start)."""
    _set_enabled(schedule, True, as_json)


@runs_app.command("list")
def list_runs(
    schedule: ScheduleArg,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The schedule's runs, newest first: per chat the post and what was done to it."""

    async def action(runtime: Runtime) -> list[Run]:
        return await runtime.runs.runs((await _find(runtime, schedule)).id, limit=limit)

    found = run_with_runtime(action)
    if as_json:
        print_json([asdict(r) for r in found])
        return
    table = Table(title="runs")
    for column in ("run", "when", "status", "content", "chat", "post", "actions"):
        table.add_column(column)
    for r in found:
        when = (r.slot_at or r.created_at).strftime("%Y-%m-%d %H:%M UTC")
        head = [str(r.id), when, r.status, str(r.content_id or "-")]
        if not r.posts:
            table.add_row(*head, "-", r.detail or "-", "")
        for p in r.posts:
            chat = _target(p.chat_id, p.topic_id)
            post = p.status + (f" #{p.message_id}" if p.message_id else "")
            post += f" ({p.error})" if p.error else ""
            done = "; ".join(
                f"{a.action} {a.status}" + (f" ({a.detail})" if a.detail else "") for a in p.actions
            )
            table.add_row(*head, chat, post, done)
            head = ["", "", "", ""]
    out_console.print(table)


def _lifecycle(schedule: str, run_id: int, request: str | None, edit: bool, as_json: bool) -> None:
    async def action(runtime: Runtime) -> LifecycleResult:
        found = await _find(runtime, schedule)
        ask = runtime.lifecycle.edit if edit else runtime.lifecycle.delete
        try:
            return await ask(found.id, run_id, request)
        except (RunNotFound, LifecycleRefused) as exc:
            raise CliError(str(exc)) from None

    result = run_with_runtime(action)
    if as_json:
        print_json(asdict(result))
        return
    out_console.print(
        f"run {result.run_id}: {result.action} queued for {result.queued} chat(s)", highlight=False
    )
    for c in result.chats:
        chat = _target(c.chat_id, c.topic_id)
        out_console.print(f"  {chat}: {c.status.replace('_', ' ')}, {c.detail}", highlight=False)


@runs_app.command("edit")
def edit_run(
    schedule: ScheduleArg, run_id: RunArg, request_id: RequestOpt = None, as_json: JsonOpt = False
) -> None:
    """Edit the run's posts everywhere to what its item says now (a worker sends it)."""
    _lifecycle(schedule, run_id, request_id, True, as_json)


@runs_app.command("delete")
def delete_run(
    schedule: ScheduleArg, run_id: RunArg, request_id: RequestOpt = None, as_json: JsonOpt = False
) -> None:
    """Delete the run's posts from every chat (a worker sends it)."""
    _lifecycle(schedule, run_id, request_id, False, as_json)
