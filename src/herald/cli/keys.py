"""`herald keys create|list|revoke`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from herald.auth import ApiKey, Role
from herald.cli.common import JsonOpt, fail, out_console, print_json, run_with_runtime
from herald.runtime import Runtime

keys_app = typer.Typer(help="Manage API keys (owner, admin, viewer).", no_args_is_help=True)


@keys_app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="owner, admin or viewer")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
) -> None:
    """Create a key and print it (only the key, on stdout). It cannot be shown again."""
    if not name.strip():
        fail("--name: must not be empty", 2)

    async def action(runtime: Runtime) -> str:
        _key, secret = await runtime.api_keys.create(name.strip(), role)
        return secret

    typer.echo(run_with_runtime(action))


@keys_app.command("list")
def list_keys(as_json: JsonOpt = False) -> None:
    """Every key: id, name, role, prefix, when created, last used, revoked."""

    async def action(runtime: Runtime) -> list[ApiKey]:
        return await runtime.api_keys.list()

    keys = run_with_runtime(action)
    if as_json:
        print_json(
            [
                {
                    "id": k.id,
                    "name": k.name,
                    "role": k.role.value,
                    "prefix": k.prefix,
                    "created_at": k.created_at,
                    "last_used_at": k.last_used_at,
                    "revoked_at": k.revoked_at,
                }
                for k in keys
            ]
        )
        return
    table = Table(title="API keys")
    for column in ("id", "name", "role", "prefix", "created", "last used", "revoked"):
        table.add_column(column)
    for k in keys:
        table.add_row(
            str(k.id),
            k.name,
            k.role.value,
            k.prefix + "…",
            k.created_at.isoformat(timespec="seconds"),
            k.last_used_at.isoformat(timespec="seconds") if k.last_used_at else "",
            k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "",
        )
    out_console.print(table)


@keys_app.command("revoke")
def revoke(key_id: Annotated[int, typer.Argument(help="The key's id (see `keys list`).")]) -> None:
    """Revoke a key; requests with it get 401 from then on."""

    async def action(runtime: Runtime) -> bool:
        return await runtime.api_keys.revoke(key_id)

    if not run_with_runtime(action):
        fail(f"no active key with id {key_id}")
    out_console.print(f"revoked key {key_id}")
