"""`herald schedules list|run|pause|resume`: the schedules API from the shell."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from herald.cli.common import CliError, JsonOpt, out_console, print_json, run_with_runtime
from herald.runtime import Runtime
from herald.scheduling.runner import RunResult
from herald.scheduling.schedules import Schedule, ScheduleChanges

schedules_app = typer.Typer(help="List, run, pause and resume schedules.", no_args_is_help=True)
ScheduleArg = Annotated[str, typer.Argument(help="Schedule id or name.")]


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


def _as_json(schedule: Schedule) -> dict[str, object]:
    return {
        "id": schedule.id,
        "name": schedule.name,
        "kind": schedule.kind.value,
        "enabled": schedule.enabled,
        "interval_seconds": schedule.cadence.interval_seconds,
        "cron": schedule.cadence.cron,
        "timezone": schedule.cadence.timezone,
        "chats": [
            {"chat_id": c.chat_id, "active": c.active, "inactive_reason": c.inactive_reason}
            for c in schedule.chats
        ],
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
        inactive = sum(not c.active for c in s.chats)
        chats = f"{len(s.chats) - inactive}" + (f" (+{inactive} inactive)" if inactive else "")
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
