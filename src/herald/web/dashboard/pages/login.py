"""Signing in with an API key, and out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from herald.web.dashboard.auth import User
from herald.web.dashboard.deps import DashboardDep, PagesDep
from herald.web.dashboard.session import COOKIE, LOGIN_COOKIE, same_token
from herald.web.deps import RuntimeDep
from herald.web.throttle import client_key

router = APIRouter()


def local_path(next_url: str | None) -> str:
    """Only a path on this site: ``next`` must not send a browser elsewhere."""
    if (
        next_url
        and next_url.startswith("/")
        and not next_url.startswith(("//", "/\\"))
        and next_url.isprintable()  # no tab or newline for a browser to drop: "/\t/evil"
    ):
        return next_url
    return "/"


def _secure(request: Request, public_url: str | None) -> bool:
    return request.url.scheme == "https" or bool(public_url and public_url.startswith("https:"))


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request, pages: PagesDep, runtime: RuntimeDep, next: str = "/"
) -> Response:
    token = secrets.token_urlsafe(24)
    response = pages.render(request, "login.html", None, login_csrf=token, next=local_path(next))
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=_secure(request, runtime.settings.public_url),
    )
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    pages: PagesDep,
    dashboard: DashboardDep,
    runtime: RuntimeDep,
    api_key: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    def refuse(message: str, code: int) -> Response:
        token = request.cookies.get(LOGIN_COOKIE) or ""
        return pages.render(
            request,
            "login.html",
            None,
            status_code=code,
            error=message,
            login_csrf=token,
            next=local_path(next),
        )

    if not same_token(csrf, request.cookies.get(LOGIN_COOKIE) or ""):
        return refuse("The form expired or came from another site: reload this page.", 403)
    wait = dashboard.login_throttle.check(client_key(request), runtime.clock.monotonic())
    if wait:
        response = refuse(f"Too many attempts: try again in {int(wait) + 1} s.", 429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    principal = await runtime.api_keys.authenticate(api_key.strip())
    if principal is None:
        return refuse("api_key: unknown or revoked API key.", 401)
    _, cookie = dashboard.sessions.issue(principal.key_id, principal.role, runtime.clock.now())
    response = RedirectResponse(local_path(next), status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(dashboard.sessions.max_age.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request, runtime.settings.public_url),
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(user: User, runtime: RuntimeDep, csrf: Annotated[str, Form()] = "") -> Response:
    """Ends every dashboard session of this key, on the server: a copied cookie is over
    too (the key itself stays valid for the API)."""
    if not same_token(csrf, user.session.csrf):
        return RedirectResponse("/", status.HTTP_303_SEE_OTHER)
    await runtime.api_keys.sign_out(user.principal.key_id)
    response = RedirectResponse("/login?notice=signed-out", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE)
    return response
