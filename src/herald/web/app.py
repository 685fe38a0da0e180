"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI

from herald import __version__
from herald.config import Settings
from herald.db import migrate
from herald.runtime import Runtime
from herald.web.api import api_router, health

log = structlog.get_logger("herald.web")


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    run_worker: bool = True,
    auto_migrate: bool = True,
) -> FastAPI:
    """Build the app. ``herald serve`` runs the worker in the same process.

    Tests pass their own ``runtime`` (fake clock, scripted senders) and decide
    whether a worker runs beside the API.
    """
    owned = runtime is None
    rt = runtime or Runtime.build(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if auto_migrate:
            await rt.db.ping()
            await migrate.upgrade(rt.db)
        rt.log_channels()
        stop = asyncio.Event()
        worker_task = asyncio.create_task(rt.worker().run(stop)) if run_worker else None
        try:
            yield
        finally:
            stop.set()
            if worker_task is not None:
                await worker_task
            if owned:
                await rt.close()

    app = FastAPI(
        title="herald",
        version=__version__,
        summary="Telegram-first notifications, scheduled posting and click tracking.",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    app.include_router(health.router)
    app.include_router(api_router)
    return app
