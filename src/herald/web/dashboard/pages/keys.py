"""API keys, for the owner only: list, create (the secret is shown once), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from herald.auth import Role
from herald.web.dashboard.auth import DashboardUser, OwnerUser, User
from herald.web.dashboard.deps import PagesDep
from herald.web.deps import RuntimeDep

router = APIRouter(prefix="/keys")


def _owner(user: DashboardUser) -> None:
    if not user.is_owner:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an owner sees API keys")


async def _page(
    request: Request,
    pages: PagesDep,
    runtime: RuntimeDep,
    user: DashboardUser,
    created: str | None = None,
    error: str | None = None,
) -> HTMLResponse:
    return pages.render(
        request,
        "keys.html",
        user,
        status_code=422 if error else 200,
        active="keys",
        keys=await runtime.api_keys.list(),
        roles=[r.value for r in Role],
        created=created,
        error=error,
    )


@router.get("", response_class=HTMLResponse)
async def keys(request: Request, user: User, pages: PagesDep, runtime: RuntimeDep) -> HTMLResponse:
    _owner(user)
    return await _page(request, pages, runtime, user)


@router.post("", response_class=HTMLResponse)
async def create_key(
    request: Request,
    user: OwnerUser,
    pages: PagesDep,
    runtime: RuntimeDep,
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    if not name.strip():
        return await _page(request, pages, runtime, user, error="name: give the key a name")
    if role not in {r.value for r in Role}:
        return await _page(request, pages, runtime, user, error="role: viewer, admin or owner")
    _, secret = await runtime.api_keys.create(name.strip(), Role(role))
    response = await _page(request, pages, runtime, user, created=secret)
    response.headers["Cache-Control"] = "no-store"  # the secret is on this page only
    return response


@router.post("/{key_id}/revoke")
async def revoke_key(key_id: int, _: OwnerUser, runtime: RuntimeDep) -> Response:
    if not await runtime.api_keys.revoke(key_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no active key with id {key_id}")
    return RedirectResponse("/keys?notice=key-revoked", status.HTTP_303_SEE_OTHER)
