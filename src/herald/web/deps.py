"""FastAPI dependencies, as Annotated aliases the routes declare."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from herald.auth import Principal, Role
from herald.queue import DeliveryQueue
from herald.runtime import Runtime

_bearer = HTTPBearer(auto_error=False)


# Dependencies are coroutines even when they await nothing: FastAPI runs a plain
# function in a worker thread, and that hand-off (and the GIL it then contends for)
# cost /r/ most of its throughput.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_queue(runtime: RuntimeDep) -> DeliveryQueue:
    return runtime.queue


QueueDep = Annotated[DeliveryQueue, Depends(get_queue)]


async def get_principal(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await runtime.api_keys.authenticate(credentials.credentials)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown or revoked API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if not principal.role.allows(role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"this needs the {role.value} role; this key has {principal.role.value}",
            )
        return principal

    return check


Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Owner = Annotated[Principal, Depends(require(Role.OWNER))]
