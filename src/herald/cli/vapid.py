"""`herald vapid generate`: a new VAPID key pair for web push."""

from __future__ import annotations

import typer

from herald.channels.push import vapid
from herald.cli.common import JsonOpt, print_json

vapid_app = typer.Typer(help="Web-push VAPID keys.", no_args_is_help=True)


@vapid_app.command("generate")
def generate(as_json: JsonOpt = False) -> None:
    """Print a new key pair as HERALD_VAPID_* lines (or JSON); keep the private key secret."""
    private, public = vapid.generate_keypair()
    if as_json:
        print_json({"private_key": private, "public_key": public})
        return
    typer.echo(f"HERALD_VAPID_PRIVATE_KEY={private}")
    typer.echo(f"HERALD_VAPID_PUBLIC_KEY={public}")
