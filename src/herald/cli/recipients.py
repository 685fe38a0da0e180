"""`herald recipients links EXTERNAL_ID`: a recipient's unsubscribe and preference URLs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from herald.auth.recipient_links import LinkSet
from herald.channel import Channel
from herald.cli.common import CliError, JsonOpt, out_console, print_json, run_with_runtime
from herald.runtime import Runtime

recipients_app = typer.Typer(help="Recipients' links.", no_args_is_help=True)


@recipients_app.command("links")
def links(
    external_id: Annotated[str, typer.Argument(help="The recipient's external id.")],
    channel: Annotated[
        Channel | None, typer.Option(help="Unsubscribe on this channel only (default: all).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The preference page and one-click unsubscribe URLs (from everything and per
    category), as GET /api/v1/recipients/{id}/preference-links gives them."""

    async def action(runtime: Runtime) -> LinkSet:
        recipient = await runtime.recipients.get(external_id)
        if recipient is None:
            raise CliError(f"no recipient {external_id!r}")
        keys = sorted(await runtime.categories.keys())
        found = runtime.recipient_links.link_set(recipient.id, keys, channel)
        if found is None:
            raise CliError("HERALD_PUBLIC_URL is not set: herald makes no links")
        return found

    found = run_with_runtime(action)
    if as_json:
        print_json(
            {
                "recipient": external_id,
                "channel": channel,
                "preferences_url": found.preferences_url,
                "unsubscribe_all_url": found.unsubscribe_all_url,
                "unsubscribe_urls": found.unsubscribe_urls,
            }
        )
        return
    table = Table(title=f"links of {external_id}")
    table.add_column("what")
    table.add_column("URL", overflow="fold")
    table.add_row("preferences", found.preferences_url)
    table.add_row("unsubscribe (all)", found.unsubscribe_all_url)
    for key, url in found.unsubscribe_urls.items():
        table.add_row(f"unsubscribe ({key})", url)
    out_console.print(table)
