"""`herald events docs`: docs/webhooks.md's event catalogue from the event schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from herald.cli.common import fail
from herald.events import docs as catalogue

events_app = typer.Typer(help="The events herald records for webhooks.", no_args_is_help=True)


@events_app.command("docs")
def docs(
    write: Annotated[
        Path | None,
        typer.Option(help="Replace the catalogue section of this Markdown file instead."),
    ] = None,
) -> None:
    """Every event type with when it fires, an example and its JSON schema, as Markdown."""
    if write is None:
        typer.echo(catalogue.render(), nl=False)
        return
    try:
        current = write.read_text() if write.exists() else ""
        write.write_text(catalogue.replace(current))
    except OSError as exc:
        fail(f"--write {write}: {exc.strerror or exc}", 2)
    typer.echo(f"wrote {write}")
