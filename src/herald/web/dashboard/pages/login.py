"""Signing in with an API key or (dev mode only) a one-time link, and out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from herald.auth import LinkRefused, Principal, Refusal
from herald.config import Environment
from herald.runtime import Runtime
from herald.web.dashboard.auth import User
from herald.web.dashboard.deps import Dashboard, DashboardDep, PagesDep
from herald.web.dashboard.render import Pages
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
    return _login_page(request, pages, runtime, "login.html", next=local_path(next))


def _login_page(
    request: Request,
    pages: Pages,
    runtime: Runtime,
    name: str,
    status_code: int = 200,
    **context: object,
) -> Response:
    """A page with a sign-in form, and the cookie holding that form's CSRF token."""
    token = secrets.token_urlsafe(24)
    response = pages.render(
        request, name, None, status_code=status_code, login_csrf=token, **context
    )
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
    return _signed_in(request, dashboard, runtime, principal, local_path(next))


def _signed_in(
    request: Request, dashboard: Dashboard, runtime: Runtime, principal: Principal, to: str
) -> Response:
    """The session cookie for ``principal``, and on to ``to``."""
    _, cookie = dashboard.sessions.issue(principal.key_id, principal.role, runtime.clock.now())
    response = RedirectResponse(to, status.HTTP_303_SEE_OTHER)
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


LINK_REFUSED = {
    Refusal.UNKNOWN: (404, "This sign-in link is not one herald made."),
    Refusal.USED: (410, "This sign-in link was already used: each link signs in once."),
    Refusal.EXPIRED: (410, "This sign-in link has expired: links are valid for 15 minutes."),
}
LINK_HINT = "Restart herald serve for a new link, or sign in with an API key below."


def _link_refused(
    request: Request, pages: Pages, runtime: Runtime, reason: Refusal | None
) -> Response:
    """The login page saying why the link is no way in (None: not in this mode)."""
    if reason is None:
        code, message = 404, "Sign-in links exist in dev mode only: sign in with an API key."
    else:
        code, message = LINK_REFUSED[reason]
        message = f"{message} {LINK_HINT}"
    return _login_page(
        request, pages, runtime, "login.html", status_code=code, error=message, next="/"
    )


@router.get("/login/link", response_class=HTMLResponse)
async def link_form(
    request: Request,
    pages: PagesDep,
    runtime: RuntimeDep,
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """A button that signs in: a GET uses nothing, so a link previewer cannot spend it."""
    if runtime.settings.env is not Environment.DEV:
        return _link_refused(request, pages, runtime, None)
    if (reason := await runtime.sign_in_links.check(token)) is not None:
        return _link_refused(request, pages, runtime, reason)
    return _login_page(request, pages, runtime, "sign_in_link.html", token=token)


@router.post("/login/link", response_class=HTMLResponse)
async def link_sign_in(
    request: Request,
    pages: PagesDep,
    dashboard: DashboardDep,
    runtime: RuntimeDep,
    token: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if runtime.settings.env is not Environment.DEV:
        return _link_refused(request, pages, runtime, None)
    if not same_token(csrf, request.cookies.get(LOGIN_COOKIE) or ""):
        return _login_page(
            request,
            pages,
            runtime,
            "sign_in_link.html",
            status_code=403,
            error="The form expired or came from another site: press the button again.",
            token=token,
        )
    try:
        principal = await runtime.sign_in_links.redeem(token)
    except LinkRefused as refused:
        return _link_refused(request, pages, runtime, refused.reason)
    return _signed_in(request, dashboard, runtime, principal, "/")


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
