"""`herald serve`: the HTTP API, the dashboard, the worker and the schedules in one
process; in dev mode, a one-time sign-in link for the dashboard once it listens."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
import uvicorn

from herald.cli.common import run_with_runtime, settings_or_exit
from herald.config import Environment, Settings
from herald.db import migrate as db_migrate
from herald.runtime import Runtime
from herald.scheduling.defaults import install_defaults

# Where a browser on this machine reaches a server listening on every address.
_ANY = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}


class _Server(uvicorn.Server):
    """uvicorn's server, calling ``on_listening(port)`` once its socket accepts."""

    def __init__(
        self, config: uvicorn.Config, on_listening: Callable[[int], Awaitable[None]]
    ) -> None:
        super().__init__(config)
        self._on_listening = on_listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            bound = self.servers[0].sockets[0].getsockname() if self.servers else None
            await self._on_listening(int(bound[1]) if bound else self.config.port)


def dashboard_url(settings: Settings, host: str, port: int) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    shown = _ANY.get(host, f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}"


async def print_sign_in_link(runtime: Runtime, base_url: str) -> None:
    """Dev mode only: a link valid once, for 15 minutes, on the terminal and nowhere
    else (not in the structured log), so nobody creates a key before the first look."""
    if runtime.settings.env is not Environment.DEV:
        return
    token = await runtime.sign_in_links.create()
    minutes = int(runtime.sign_in_links.lifetime.total_seconds() // 60)
    typer.echo(
        f"Dashboard sign-in (one use, {minutes} minutes): {base_url}/login/link?token={token}"
    )


def serve(
    host: Annotated[str | None, typer.Option(help="Overrides HERALD_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides HERALD_PORT.")] = None,
    worker: Annotated[bool, typer.Option(help="Run the delivery worker in-process.")] = True,
) -> None:
    """Run the HTTP API and the worker; migrates the database on start."""
    settings = settings_or_exit()
    from herald.web import create_app

    async def migrate_first(runtime: Runtime) -> None:
        await db_migrate.upgrade(runtime.db)
        await install_defaults(runtime.settings, runtime.db, runtime.content, runtime.schedules)

    run_with_runtime(migrate_first, require_migrated=False)
    app = create_app(settings, run_worker=worker, auto_migrate=False)
    listen_host = host or settings.host

    async def on_listening(bound_port: int) -> None:
        base_url = dashboard_url(settings, listen_host, bound_port)
        await print_sign_in_link(app.state.runtime, base_url)

    config = uvicorn.Config(
        app,
        host=listen_host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    _Server(config, on_listening).run()
