"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from herald.db import DatabaseUnavailable, migrate
from herald.queue import admin
from herald.web.deps import RuntimeDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive (says nothing about the database)."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(runtime: RuntimeDep, response: Response) -> dict[str, str]:
    """Ready to serve: the database answers and its schema is current."""
    try:
        await runtime.db.ping()
        current = await migrate.is_current(runtime.db)
    except Exception as exc:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "unavailable", "database": _reason(exc)}
    if not current:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "unavailable", "database": "migrations pending: run `herald migrate`"}
    return {"status": "ok", "database": "ok"}


@router.get("/metrics", response_class=Response)
async def metrics(runtime: RuntimeDep) -> Response:
    # Still expose the counters while the database is down.
    with contextlib.suppress(Exception):
        runtime.metrics.observe_stats(await admin.stats(runtime.queue))
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _reason(exc: Exception) -> str:
    # DatabaseUnavailable is already phrased without credentials; others get their type only.
    return str(exc) if isinstance(exc, DatabaseUnavailable) else f"error: {type(exc).__name__}"
