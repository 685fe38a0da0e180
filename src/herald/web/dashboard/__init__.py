"""The operator dashboard: server-rendered pages at ``/``, every asset served by herald.

Pages read through the same stores and view functions as the API and change things
only through forms that carry a CSRF token, sent by a signed-in admin or owner.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from herald.config import DEV_SECRET_KEY, Settings
from herald.web.dashboard.auth import LoginRequired
from herald.web.dashboard.deps import Dashboard, Throttle
from herald.web.dashboard.pages import (
    analytics,
    content,
    deliveries,
    keys,
    login,
    media,
    overview,
    promo_analytics,
    recipient,
    recipients,
    sandbox,
    schedule_form,
    schedule_runs,
    schedules,
    webhooks,
)
from herald.web.dashboard.render import HERE, Pages
from herald.web.dashboard.session import SessionCodec

router = APIRouter(include_in_schema=False)
# schedule_form before schedules: /schedules/new is not a schedule's id
for page in (
    login, overview, schedule_form, schedules, schedule_runs, content, deliveries, analytics,
    promo_analytics, recipients, recipient, sandbox, webhooks, keys, media,
):  # fmt: skip
    router.include_router(page.router)


async def _to_login(request: Request, exc: Exception) -> RedirectResponse:
    assert isinstance(exc, LoginRequired)
    target = login.local_path(exc.next_url)
    query = f"?next={quote(target)}" if target != "/" else ""
    return RedirectResponse(f"/login{query}", status.HTTP_303_SEE_OTHER)


def _on_a_page(request: Request) -> bool:
    route = request.scope.get("route")
    endpoint = getattr(route, "endpoint", None)
    return getattr(endpoint, "__module__", "").startswith(__name__)


async def _errors(request: Request, exc: Exception) -> Response:
    """Errors on a page are a page; the API's (and unknown paths') stay JSON."""
    if not _on_a_page(request):
        if isinstance(exc, RequestValidationError):
            return await request_validation_exception_handler(request, exc)
        assert isinstance(exc, StarletteHTTPException)
        return await http_exception_handler(request, exc)
    if isinstance(exc, RequestValidationError):
        code = status.HTTP_422_UNPROCESSABLE_CONTENT
        lines = [f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors()]
    else:
        assert isinstance(exc, HTTPException | StarletteHTTPException)
        code, lines = exc.status_code, [str(exc.detail)]
    pages: Pages = request.app.state.dashboard.pages
    return pages.render(request, "error.html", None, status_code=code, code=code, lines=lines)


def mount(app: FastAPI, settings: Settings, login_throttle: Throttle) -> None:
    """Add the pages, their static files and the login redirect to ``app``."""
    key = settings.secret_key.get_secret_value()
    if key == DEV_SECRET_KEY:
        # The dev key is public: anyone could sign an owner's session with it. In dev,
        # sessions are signed with a key of this process (a restart signs everyone out).
        key = secrets.token_urlsafe(32)
    app.state.dashboard = Dashboard(
        pages=Pages(),
        sessions=SessionCodec(key, timedelta(hours=settings.dashboard_session_hours)),
        login_throttle=login_throttle,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(router)
    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(StarletteHTTPException, _errors)
    app.add_exception_handler(RequestValidationError, _errors)
