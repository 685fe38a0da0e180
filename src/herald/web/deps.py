"""FastAPI dependencies, as Annotated aliases the routes declare."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from herald.config import Environment, Settings
from herald.queue import DeliveryQueue
from herald.runtime import Runtime

_bearer = HTTPBearer(auto_error=False)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


def get_queue(runtime: RuntimeDep) -> DeliveryQueue:
    return runtime.queue


SettingsDep = Annotated[Settings, Depends(get_settings)]
QueueDep = Annotated[DeliveryQueue, Depends(get_queue)]


def require_api_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Bearer-token guard for /api/v1 until per-user API keys exist.

    With no HERALD_API_TOKEN set the API is open in dev and closed in prod.
    """
    expected = settings.api_token.get_secret_value() if settings.api_token else ""
    if not expected:
        if settings.env is Environment.DEV:
            return
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the API is disabled: set HERALD_API_TOKEN to enable it",
        )
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong bearer token in the Authorization header",
            headers={"WWW-Authenticate": "Bearer"},
        )


ApiAuth = Depends(require_api_token)
