"""`herald config docs`: docs/configuration.md from the settings class."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from herald.cli.common import fail
from herald.config_docs import render

config_app = typer.Typer(help="The settings and their documentation.", no_args_is_help=True)


@config_app.command("docs")
def docs(
    write: Annotated[
        Path | None, typer.Option(help="Write the Markdown there instead of printing it.")
    ] = None,
) -> None:
    """Every HERALD_ variable with its default and meaning, as Markdown."""
    text = render()
    if write is None:
        typer.echo(text, nl=False)
        return
    try:
        write.write_text(text)
    except OSError as exc:
        fail(f"--write {write}: {exc.strerror or exc}", 2)
    typer.echo(f"wrote {write}")
