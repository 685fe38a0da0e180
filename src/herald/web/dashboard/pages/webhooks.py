"""Webhook endpoints: each with its recent attempts; admins add, enable or disable,
rotate the secret (shown once, on the answer's page), send a test event and delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from herald.web.dashboard.auth import DashboardUser, Operator, User
from herald.web.dashboard.deps import PagesDep
from herald.web.deps import RuntimeDep
from herald.webhooks import NewEndpoint, WebhookRuleError

router = APIRouter(prefix="/webhooks")
RECENT = 5


async def _page(
    request: Request,
    pages: PagesDep,
    runtime: RuntimeDep,
    user: DashboardUser,
    *,
    secret: tuple[int, str] | None = None,
    error: str | None = None,
) -> HTMLResponse:
    endpoints = await runtime.webhooks.all()
    response = pages.render(
        request,
        "webhooks.html",
        user,
        status_code=422 if error else 200,
        active="webhooks",
        endpoints=[(e, await runtime.webhooks.attempts(e.id, RECENT)) for e in endpoints],
        defaults=runtime.settings.webhooks,  # the limits of an endpoint without its own
        secret=secret,
        error=error,
    )
    response.headers["Cache-Control"] = "no-store"  # a secret is on this page only
    return response


def _back(notice: str) -> Response:
    return RedirectResponse(f"/webhooks?notice={notice}", 303)


@router.get("", response_class=HTMLResponse)
async def webhooks(
    request: Request, user: User, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    return await _page(request, pages, runtime, user)


@router.post("", response_class=HTMLResponse)
async def add(
    request: Request,
    user: Operator,
    pages: PagesDep,
    runtime: RuntimeDep,
    url: Annotated[str, Form(max_length=2048)] = "",
    events: Annotated[str, Form(max_length=2000)] = "*",
    description: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    patterns = [p.strip() for p in events.split(",") if p.strip()]
    try:
        endpoint, secret = await runtime.webhooks.create(NewEndpoint(url, patterns, description))
    except WebhookRuleError as exc:
        return await _page(request, pages, runtime, user, error=str(exc))
    return await _page(request, pages, runtime, user, secret=(endpoint.id, secret))


@router.post("/{endpoint_id}/enable")
async def enable(endpoint_id: int, _: Operator, runtime: RuntimeDep) -> Response:
    await runtime.webhooks.update(endpoint_id, enabled=True)
    return _back("webhook-enabled")


@router.post("/{endpoint_id}/disable")
async def disable(endpoint_id: int, _: Operator, runtime: RuntimeDep) -> Response:
    await runtime.webhooks.update(endpoint_id, enabled=False)
    return _back("webhook-disabled")


@router.post("/{endpoint_id}/rotate", response_class=HTMLResponse)
async def rotate(
    endpoint_id: int, request: Request, user: Operator, pages: PagesDep, runtime: RuntimeDep
) -> HTMLResponse:
    endpoint, secret = await runtime.webhooks.rotate(endpoint_id)
    return await _page(request, pages, runtime, user, secret=(endpoint.id, secret))


@router.post("/{endpoint_id}/test")
async def test(endpoint_id: int, _: Operator, runtime: RuntimeDep) -> Response:
    await runtime.fanout.test(endpoint_id)
    return _back("webhook-tested")


@router.post("/{endpoint_id}/delete")
async def delete(endpoint_id: int, _: Operator, runtime: RuntimeDep) -> Response:
    await runtime.webhooks.delete(endpoint_id)
    return _back("webhook-deleted")
