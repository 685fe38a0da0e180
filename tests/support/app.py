"""The app over ASGI with its lifespan, and a client that carries an API key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from herald.auth import Role
from herald.clock import Clock
from herald.config import Settings
from herald.runtime import Runtime
from herald.web import create_app


@asynccontextmanager
async def serve(
    settings: Settings,
    clock: Clock | None = None,
    role: Role | None = Role.OWNER,
    **app_kw: object,
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    """The app over ASGI; the client carries a key of ``role`` (none if None)."""
    runtime = Runtime.build(settings, clock=clock)
    options: dict[str, object] = {
        "run_worker": False,
        "run_scheduler": False,
        "poll_updates": False,
        **app_kw,
    }
    app: FastAPI = create_app(settings, runtime=runtime, **options)  # type: ignore[arg-type]
    try:
        async with (
            app.router.lifespan_context(app),
            AsyncClient(transport=ASGITransport(app=app), base_url="http://herald.test") as client,
        ):
            if role is not None:
                _, secret = await runtime.api_keys.create(f"test {role}", role)
                client.headers["Authorization"] = f"Bearer {secret}"
            yield client, runtime
    finally:
        await runtime.close()
