"""`herald queue stats`, `herald dlq list` and `herald dlq replay`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from herald.cli.common import (
    JsonOpt,
    fail,
    out_console,
    print_json,
    progress_bar,
    run_with_runtime,
)
from herald.queue import Delivery, DeliveryFilter, QueueStats, State
from herald.queue import admin as queue_admin
from herald.runtime import Runtime

queue_app = typer.Typer(help="Inspect the delivery queue.", no_args_is_help=True)
dlq_app = typer.Typer(help="List and replay dead letters.", no_args_is_help=True)


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not an ISO 8601 time", 2)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


ChannelOpt = Annotated[str | None, typer.Option(help="Only this channel.")]
ErrorOpt = Annotated[str | None, typer.Option("--error", help="Last error contains this text.")]
CampaignOpt = Annotated[str | None, typer.Option(help="Only this campaign.")]
SinceOpt = Annotated[str | None, typer.Option(help="Dead-lettered at or after (ISO 8601).")]
UntilOpt = Annotated[str | None, typer.Option(help="Dead-lettered before (ISO 8601).")]


@queue_app.command("stats")
def queue_stats(as_json: JsonOpt = False) -> None:
    """Counts by lane and state, and the age of the oldest waiting delivery."""

    async def action(runtime: Runtime) -> QueueStats:
        return await queue_admin.stats(runtime.queue)

    stats = run_with_runtime(action)
    if as_json:
        print_json(
            {
                "counts": [
                    {"lane": lane, "state": state, "count": n}
                    for (lane, state), n in sorted(stats.counts.items())
                ],
                "oldest_waiting_seconds": stats.oldest_waiting_seconds,
            }
        )
        return
    table = Table(title="deliveries by lane and state")
    states = [s.value for s in State]
    table.add_column("lane")
    for state in states:
        table.add_column(state, justify="right")
    for lane in ("transactional", "campaign"):
        table.add_row(lane, *(str(stats.counts.get((lane, s), 0)) for s in states))
    out_console.print(table)
    age = stats.oldest_waiting_seconds
    out_console.print(
        "oldest waiting: " + ("nothing waiting" if age is None else f"{age:.1f} s"),
        highlight=False,
    )


def _dlq_filter(
    channel: str | None,
    error: str | None,
    campaign: str | None,
    since: str | None,
    until: str | None,
    ids: tuple[int, ...] = (),
) -> DeliveryFilter:
    return DeliveryFilter(
        state=State.DEAD,
        channel=channel,
        error_contains=error,
        campaign=campaign,
        since=_when(since, "--since"),
        until=_when(until, "--until"),
        ids=ids,
    )


@dlq_app.command("list")
def dlq_list(
    channel: ChannelOpt = None,
    error: ErrorOpt = None,
    campaign: CampaignOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Dead letters, newest first."""

    async def action(runtime: Runtime) -> list[Delivery]:
        f = _dlq_filter(channel, error, campaign, since, until)
        return await queue_admin.list_deliveries(runtime.queue, f, limit=limit)

    found = run_with_runtime(action)
    if as_json:
        print_json(
            [
                {
                    "id": d.id,
                    "channel": d.channel,
                    "lane": d.lane.label,
                    "recipient": d.recipient,
                    "campaign": d.campaign,
                    "attempts": d.attempts,
                    "last_error": d.last_error,
                    "finished_at": d.finished_at,
                }
                for d in found
            ]
        )
        return
    table = Table(title=f"dead letters ({len(found)} shown)")
    for column in ("id", "channel", "lane", "recipient", "attempts", "dead since", "last error"):
        table.add_column(column)
    for d in found:
        table.add_row(
            str(d.id),
            d.channel,
            d.lane.label,
            d.recipient,
            str(d.attempts),
            d.finished_at.isoformat(timespec="seconds") if d.finished_at else "",
            d.last_error or "",
        )
    out_console.print(table)


@dlq_app.command("replay")
def dlq_replay(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead letters to replay.")] = None,
    channel: ChannelOpt = None,
    error: ErrorOpt = None,
    campaign: CampaignOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    replay_all: Annotated[
        bool, typer.Option("--all", help="Replay every dead letter (no filter needed).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Put dead letters back in the queue: by id, by filter, or --all."""
    f = _dlq_filter(channel, error, campaign, since, until, tuple(ids or ()))
    if f == DeliveryFilter(state=State.DEAD) and not replay_all:
        fail("give ids or a filter (--channel, --error, ...), or --all", 2)

    async def action(runtime: Runtime) -> int:
        with progress_bar(quiet=as_json) as progress:
            # The count is for the bar only: no query when there is no bar to draw.
            total = None if progress.disable else await queue_admin.count_dead(runtime.queue, f)
            task = progress.add_task("replaying dead letters", total=total)
            return await queue_admin.replay(
                runtime.queue, f, on_batch=lambda n: progress.advance(task, n)
            )

    replayed = run_with_runtime(action)
    if as_json:
        print_json({"replayed": replayed})
    else:
        out_console.print(f"replayed {replayed} dead letter(s)")
