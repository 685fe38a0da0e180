"""`herald`: worker, migrate, and the queue and dead-letter commands (serve: serve.py)."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer
from prometheus_client import start_http_server

# typer vendors click; its exceptions live here (the separate click package's differ).
from typer._click import exceptions as click_errors

from herald.cli import campaigns as campaigns_cli
from herald.cli import config as config_cli
from herald.cli import doctor as doctor_cli
from herald.cli import events as events_cli
from herald.cli import keys as keys_cli
from herald.cli import preferences as preferences_cli
from herald.cli import queue as queue_cli
from herald.cli import recipients as recipients_cli
from herald.cli import schedules as schedules_cli
from herald.cli import serve as serve_cli
from herald.cli import telegram as telegram_cli
from herald.cli import vapid as vapid_cli
from herald.cli import webhooks as webhooks_cli
from herald.cli.common import err_console, out_console, run_with_runtime
from herald.db import migrate as db_migrate
from herald.runtime import Runtime
from herald.scheduling.defaults import install_defaults

app = typer.Typer(
    name="herald",
    help="Telegram-first notifications, scheduled posting and click tracking.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(queue_cli.queue_app, name="queue")
app.add_typer(queue_cli.dlq_app, name="dlq")
app.add_typer(keys_cli.keys_app, name="keys")
app.add_typer(vapid_cli.vapid_app, name="vapid")
app.add_typer(schedules_cli.schedules_app, name="schedules")
app.add_typer(campaigns_cli.campaigns_app, name="campaigns")
app.add_typer(telegram_cli.telegram_app, name="telegram")
app.add_typer(config_cli.config_app, name="config")
app.add_typer(events_cli.events_app, name="events")
app.add_typer(webhooks_cli.webhooks_app, name="webhooks")
app.add_typer(recipients_cli.recipients_app, name="recipients")
app.add_typer(preferences_cli.categories_app, name="categories")
recipients_cli.recipients_app.add_typer(preferences_cli.preferences_app, name="preferences")
app.command("serve")(serve_cli.serve)
app.command("doctor")(doctor_cli.doctor)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (and add the default content and schedules)."""

    async def action(runtime: Runtime) -> None:
        await db_migrate.upgrade(runtime.db)
        await install_defaults(runtime.settings, runtime.db, runtime.content, runtime.schedules)
        revisions = ", ".join(sorted(await db_migrate.current_revisions(runtime.db)))
        out_console.print(f"database migrated to {revisions}")

    run_with_runtime(action, require_migrated=False)


@app.command("worker")
def worker_command(
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on this port.")
    ] = None,
) -> None:
    """Run the delivery worker alone (start as many as you like on PostgreSQL)."""

    async def action(runtime: Runtime) -> None:
        runtime.log_channels()
        if metrics_port is not None:
            start_http_server(metrics_port, addr="127.0.0.1", registry=runtime.metrics.registry)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        worker = runtime.worker()
        await asyncio.gather(worker.run(stop), runtime.fanout.run(stop, worker.holds_background))

    run_with_runtime(action)


def main() -> None:
    """Run the CLI; usage errors become one line too (click would print a block)."""
    try:
        code = app(standalone_mode=False)
    except click_errors.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
        raise SystemExit(0) from None
    except click_errors.ClickException as exc:
        err_console.print(
            f"[bold red]error:[/] {exc.format_message()}", highlight=False, soft_wrap=True
        )
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        raise SystemExit(130) from None
    raise SystemExit(code if isinstance(code, int) else 0)
