"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from typing import Any

import structlog
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from herald import __version__
from herald.config import Settings
from herald.db import migrate
from herald.runtime import Runtime
from herald.scheduling.defaults import install_defaults
from herald.web import audience, dashboard, errors, redirect, telegram
from herald.web.api import api_router, event_catalogue, health
from herald.web.api import errors as api_errors
from herald.web.throttle import Throttle

log = structlog.get_logger("herald.web")


class HeraldApp(FastAPI):
    """FastAPI, with ``/r/`` requests sent past the wrappers FastAPI adds around
    Starlette's middleware stack (its telemetry check, body limit and exit stacks, which
    the tracked-link route has no use for and which cost a tenth of its CPU), and past
    the router's matching (``redirect.Direct`` in its place). They still go through
    Starlette's stack: the error page, any middleware and the exception handlers, so
    they are answered as any other route's would be."""

    _lean_stack: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(redirect.PREFIX):
            if self._lean_stack is None:
                direct = redirect.Direct(self.router, redirect.FollowLink())
                around = _Around(self, direct)  # reads as this app, but for its router
                self._lean_stack = Starlette.build_middleware_stack(around)  # type: ignore[arg-type]
            scope["app"] = self
            await self._lean_stack(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class _Around:
    """``app`` as Starlette's stack builder reads it, with ``inner`` for its router."""

    def __init__(self, app: FastAPI, inner: ASGIApp) -> None:
        self._app = app
        self.router = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    run_worker: bool = True,
    auto_migrate: bool = True,
    run_scheduler: bool = True,
    poll_updates: bool = True,
) -> FastAPI:
    """Build the app. ``herald serve`` runs the worker, the schedules and (in polling
    mode) the bot's long polling in the same process.

    Tests pass their own ``runtime`` (fake clock, scripted senders) and decide
    which of those run beside the API.
    """
    owned = runtime is None
    rt = runtime or Runtime.build(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if auto_migrate:  # else the caller did both (`herald serve` before it starts)
            await rt.db.ping()
            await migrate.upgrade(rt.db)
            await install_defaults(rt.settings, rt.db, rt.content, rt.schedules)
        rt.log_channels()
        rt.clicks.start()
        stop = asyncio.Event()
        tasks = []
        if run_worker:
            worker = rt.worker()
            tasks.append(asyncio.create_task(worker.run(stop)))
            tasks.append(asyncio.create_task(rt.fanout.run(stop, worker.holds_background)))
        if poll_updates and (poller := rt.poller()) is not None:
            tasks.append(asyncio.create_task(poller.run(stop)))
        if run_scheduler:
            await rt.scheduler.start()
        # Everything built so far lives as long as the process: keep it out of the
        # collector's full passes, which otherwise stall requests for tens of ms.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()  # an app built again in this process (tests) starts afresh
            await rt.scheduler.stop()
            stop.set()
            for task in tasks:
                await task
            await rt.clicks.close()
            if owned:
                await rt.close()

    app = HeraldApp(
        title="herald",
        version=__version__,
        summary="Telegram-first notifications, scheduled posting and click tracking.",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    app.state.redirect_throttle = redirect.throttle_for(settings)
    errors.install(app)
    api_errors.install(app)
    # The hot routes first: FastAPI tries routes in order, and the API has dozens.
    redirect.mount(app)
    app.include_router(telegram.router)
    app.include_router(health.router)
    audience.mount(app)
    app.include_router(api_router)
    event_catalogue.document(app)
    dashboard.mount(
        app, settings, login_throttle=Throttle.per_minute(settings.login_attempts_per_minute)
    )
    return app
