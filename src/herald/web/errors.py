"""What every route answers when the database is away: 503 with Retry-After, not a 500.

A stopped or restarting database is an outage the caller should wait out, and the
answer says so without the driver's message (which can name hosts and users). Other
database errors (a violated constraint) are bugs and stay 500s.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError

from herald.db import DatabaseUnavailable, is_outage

RETRY_AFTER_SECONDS = 5
log = structlog.get_logger("herald.web")


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    if not is_outage(exc):
        raise exc
    log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
    return JSONResponse(
        {"detail": "the database is unavailable; try again shortly"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install(app: FastAPI) -> None:
    for kind in (OSError, DatabaseUnavailable, DBAPIError):
        app.add_exception_handler(kind, _database_unavailable)
