"""`herald campaigns start|status|cancel|list`: the campaigns API from the shell.

Starting a campaign only queues its deliveries; a worker running elsewhere (`herald
worker` or `herald serve`) sends them, so `--wait` and `--watch` follow the counts that
worker moves, and Ctrl-C stops the following, never the campaign.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from herald.channel import Channel
from herald.cli.common import (
    CliError,
    JsonOpt,
    err_console,
    fail,
    out_console,
    print_json,
    progress_bar,
    run_with_runtime,
)
from herald.db.types import MAX_ID
from herald.messaging.campaigns import CampaignRequest, CampaignStatus
from herald.messaging.templates import TemplateError
from herald.preferences import PreferenceRuleError
from herald.runtime import Runtime

WORKER_NOTE = "A worker (`herald worker` or `herald serve`) must run for anything to be sent."
campaigns_app = typer.Typer(
    help=f"Start, follow, cancel and list campaigns. {WORKER_NOTE}", no_args_is_help=True
)
CampaignArg = Annotated[
    int, typer.Argument(help="The campaign's id.", min=1, max=MAX_ID)
]  # as the API
IntervalOpt = Annotated[
    float, typer.Option(min=0.05, help="Seconds between looks at the campaign's counts.")
]
COUNT_LABELS = {"failed": "failed (will retry)"}
UNSUBSCRIBE_PATTERN = r"^(https://|mailto:)"  # the API's CampaignIn.list_unsubscribe


def _variables(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        fail(f"--data: not JSON: {exc}", 2)
    if not isinstance(value, dict):
        fail("--data: should be a JSON object of the template's variables", 2)
    return value


def _request(
    template: str,
    channel: Channel,
    recipients: list[str],
    everyone: bool,
    data: str,
    name: str,
    list_unsubscribe: str | None,
    category: str | None = None,
) -> CampaignRequest:
    """The API's CampaignIn checks, worded as its 422s are, but as one usage line each."""
    if everyone == bool(recipients):
        fail("give --recipient EXTERNAL_ID (repeatable) or --all, not both", 2)
    lengths = (
        ("--name", name, 200),
        ("--template", template, 128),
        ("--list-unsubscribe", list_unsubscribe or "", 1000),
    )
    for option, value, most in lengths:
        if len(value) > most:
            fail(f"{option}: String should have at most {most} characters", 2)
    if not template:
        fail("--template: String should have at least 1 character", 2)
    if list_unsubscribe is not None and not re.match(UNSUBSCRIBE_PATTERN, list_unsubscribe):
        fail(f"--list-unsubscribe: String should match pattern '{UNSUBSCRIBE_PATTERN}'", 2)
    return CampaignRequest(
        name=name or template,
        template=template,
        variables=_variables(data),
        channel=channel.value,
        audience=None if everyone else recipients,
        list_unsubscribe=list_unsubscribe,
        category=category,
    )


def _no_such(campaign_id: int) -> CliError:
    return CliError(f"no campaign {campaign_id}: see `herald campaigns list`")


async def _status(runtime: Runtime, campaign_id: int) -> CampaignStatus:
    shown = await runtime.campaigns.status(campaign_id)
    if shown is None:
        raise _no_such(campaign_id)
    return shown


def _total(shown: CampaignStatus) -> int:
    # Deliveries are queued before the row's count is written, and sent ones are pruned
    # after HERALD_RETENTION_DAYS: the larger of the two is the campaign's size.
    return max(shown.queued, sum(shown.counts.values()))


def _finished(shown: CampaignStatus) -> bool:
    """Nothing waiting, sending or retrying: every delivery sent, dead, cancelled or
    skipped."""
    return not (shown.counts["queued"] or shown.counts["failed"])


def _describe(shown: CampaignStatus) -> str:
    c = shown.counts
    return f"campaign {shown.id}: {c['sent']} sent, {c['dead']} dead, {c['failed']} retrying"


async def _follow(
    runtime: Runtime, shown: CampaignStatus, interval: float, *, quiet: bool
) -> CampaignStatus:
    """Poll the counts until the campaign is finished, with a bar on a terminal.

    Ctrl-C sets an event the loop waits on between polls, rather than letting
    asyncio.run cancel the task: a cancel landing inside a database read could leave
    that connection's thread running, and the process then never exited."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    try:
        with progress_bar(quiet=quiet) as progress:
            task = progress.add_task(_describe(shown), total=_total(shown))
            while True:
                c = shown.counts
                progress.update(
                    task,
                    description=_describe(shown),
                    total=_total(shown),
                    completed=c["sent"] + c["dead"] + c["cancelled"] + c["skipped"],
                )
                if _finished(shown):
                    return shown
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
                if stop.is_set():
                    break
                shown = await _status(runtime, shown.id)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    err_console.print(
        f"stopped following campaign {shown.id}; it goes on "
        f"(`herald campaigns status {shown.id} --watch`)",
        highlight=False,
    )
    raise typer.Exit(130)  # as a shell reports a command stopped by Ctrl-C


def _as_json(shown: CampaignStatus) -> dict[str, object]:
    """The API's CampaignOut."""
    return {
        "id": shown.id,
        "name": shown.name,
        "template": shown.template,
        "channel": shown.channel,
        "status": shown.status,
        "queued": shown.queued,
        "skipped": shown.skipped,
        "counts": shown.counts,
        "created_at": shown.created_at.isoformat(),
        "cancelled_at": shown.cancelled_at.isoformat() if shown.cancelled_at else None,
        "category": shown.category,
    }


def _state(shown: CampaignStatus) -> str:
    """For people: the stored status stays "queued" after the last send."""
    if shown.status == "cancelled":
        return "cancelled"
    return "done" if _finished(shown) else "sending"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _show(shown: CampaignStatus) -> None:
    table = Table(title=f"campaign {shown.id}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for label, value in (
        ("name", shown.name),
        ("template", shown.template),
        ("channel", shown.channel),
        ("state", _state(shown)),
        ("total", _total(shown)),
        *((COUNT_LABELS.get(k, k), n) for k, n in shown.counts.items()),
        ("skipped", shown.skipped),
        ("created", _when(shown.created_at)),
        ("cancelled at", _when(shown.cancelled_at)),
    ):
        table.add_row(label, str(value))
    out_console.print(table)


def _summary(shown: CampaignStatus) -> str:
    c = shown.counts
    return (
        f"campaign {shown.id} {_state(shown)}: {c['sent']} sent, {c['dead']} dead, "
        f"{c['cancelled']} cancelled of {_total(shown)} ({shown.skipped} skipped)"
    )


@campaigns_app.command("start")
def start(
    template: Annotated[str, typer.Option(help="The template's name.")],
    channel: Annotated[
        Channel, typer.Option(help="The one channel (no fallback).")
    ] = Channel.TELEGRAM,
    recipients: Annotated[
        list[str] | None,
        typer.Option("--recipient", help="A recipient's external id; repeat for more."),
    ] = None,
    everyone: Annotated[bool, typer.Option("--all", help="Every recipient.")] = False,
    data: Annotated[str, typer.Option(help="The template's variables, a JSON object.")] = "{}",
    name: Annotated[str, typer.Option(help="Shown in lists (default: the template).")] = "",
    list_unsubscribe: Annotated[
        str | None,
        typer.Option(
            help='Email: https:// or mailto: URL with "{external_id}", as List-Unsubscribe.'
        ),
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="A category's key (default: the template's).")
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait", help="Follow the sends until none is left (Ctrl-C stops following)."
        ),
    ] = False,
    interval: IntervalOpt = 0.5,
    as_json: JsonOpt = False,
) -> None:
    """Queue a template for recipients on one channel, in the campaign lane; prints its id.

    It only queues: `herald worker` or `herald serve` must run somewhere to send.
    """
    request = _request(
        template, channel, recipients or [], everyone, data, name, list_unsubscribe, category
    )

    async def action(runtime: Runtime) -> CampaignStatus:
        try:
            campaign_id = await runtime.campaigns.start(request)
        except (TemplateError, PreferenceRuleError) as exc:
            raise CliError(str(exc)) from None
        shown = await _status(runtime, campaign_id)
        if not as_json:
            why = " (no address, or at the email cap)" if shown.skipped else ""
            err_console.print(
                f"campaign {shown.id}: {shown.queued} queued, {shown.skipped} skipped{why}",
                highlight=False,
            )
        return await _follow(runtime, shown, interval, quiet=as_json) if wait else shown

    shown = run_with_runtime(action)
    if as_json:
        started = {"id": shown.id, "queued": shown.queued, "skipped": shown.skipped}
        print_json(_as_json(shown) if wait else started)
    else:
        out_console.print(_summary(shown) if wait else str(shown.id), highlight=False)


@campaigns_app.command("status")
def status(
    campaign_id: CampaignArg,
    watch: Annotated[
        bool, typer.Option("--watch", help="Follow the sends until none is left (a bar).")
    ] = False,
    interval: IntervalOpt = 0.5,
    as_json: JsonOpt = False,
) -> None:
    """A campaign's state (sending, done, cancelled) and its deliveries' counts.

    --watch follows the sends of `herald worker` or `herald serve`, which must run.
    """

    async def action(runtime: Runtime) -> CampaignStatus:
        shown = await _status(runtime, campaign_id)
        return await _follow(runtime, shown, interval, quiet=as_json) if watch else shown

    shown = run_with_runtime(action)
    if as_json:
        print_json(_as_json(shown))
    else:
        _show(shown)


@campaigns_app.command("cancel")
def cancel(campaign_id: CampaignArg, as_json: JsonOpt = False) -> None:
    """Withdraw every delivery not yet sent (one a worker holds right now may still go)."""

    async def action(runtime: Runtime) -> int:
        withdrawn = await runtime.campaigns.cancel(campaign_id)
        if withdrawn is None:
            raise _no_such(campaign_id)
        return withdrawn

    withdrawn = run_with_runtime(action)
    if as_json:
        print_json({"cancelled": withdrawn})
    else:
        out_console.print(
            f"campaign {campaign_id} cancelled: {withdrawn} deliveries withdrawn", highlight=False
        )


@campaigns_app.command("list")
def list_campaigns(
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50, as_json: JsonOpt = False
) -> None:
    """The newest campaigns first, with their counts."""

    async def action(runtime: Runtime) -> list[CampaignStatus]:
        return await runtime.campaigns.list(limit)

    found = run_with_runtime(action)
    if as_json:
        print_json([_as_json(s) for s in found])
        return
    table = Table(title=f"campaigns ({len(found)} shown)")
    for column in ("id", "name", "channel", "state", "sent", "dead", "total", "created"):
        numeric = column in ("id", "sent", "dead", "total")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=column != "name")
    for s in found:
        table.add_row(
            str(s.id),
            s.name,
            s.channel,
            _state(s),
            str(s.counts["sent"]),
            str(s.counts["dead"]),
            str(_total(s)),
            _when(s.created_at),
        )
    out_console.print(table)
