"""What every command shares: settings, the runtime, and one-line errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import DBAPIError

from herald.config import ConfigError, Settings, load_settings
from herald.db import DatabaseUnavailable, migrate
from herald.db.database import safe_url
from herald.logging import configure_logging
from herald.runtime import Runtime

T = TypeVar("T")
err_console = Console(stderr=True)
out_console = Console()
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


class CliError(Exception):
    """Shown as one line on stderr, then exit 1."""


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as exc:
        fail(str(exc), 2)
    configure_logging(settings)
    return settings


def run_with_runtime(
    action: Callable[[Runtime], Awaitable[T]], *, require_migrated: bool = True
) -> T:
    """Build the runtime, check the database, run ``action``; every failure is one line."""
    settings = settings_or_exit()

    async def main() -> T:
        try:
            runtime = Runtime.build(settings)
        except ConfigError as exc:
            raise CliError(str(exc)) from None
        try:
            await runtime.db.ping()
            if require_migrated and not await migrate.is_current(runtime.db):
                raise CliError(
                    f"the database at {safe_url(settings.database_url)} is not migrated: "
                    "run `herald migrate`"
                )
            return await action(runtime)
        finally:
            await runtime.close()

    try:
        return asyncio.run(main())
    except DatabaseUnavailable as exc:
        fail(f"HERALD_DATABASE_URL: {exc}")
    except CliError as exc:
        fail(str(exc))
    except DBAPIError as exc:
        fail(f"database error: {str(exc.orig).splitlines()[0] if exc.orig else exc}")


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def progress_bar(*, quiet: bool = False) -> Progress:
    """A bar on stderr, drawn only on a terminal: stdout stays the result, for scripts."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        redirect_stdout=False,
        disable=quiet or not err_console.is_terminal,
    )
