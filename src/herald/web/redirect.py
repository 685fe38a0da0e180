"""``GET /r/{token}``: a tracked link. The click is stored, then a 302 to the target.

The token names a content button or a registered link and is HMAC-signed; the target
comes from what herald stored, never from the request, so there is no open redirect.
An unknown, forged or malformed token is a plain 404 that says nothing more. A hit
that was no person (a preview fetcher, a crawler, ``HEAD``, a prefetch, a scanner: see
``herald.tracking.humans``) is stored with its flag and redirected all the same.

Each client address is throttled (a token bucket, ``herald.web.throttle``): a flood
from one address gets 429s with ``Retry-After`` before any token is even verified.

The hottest route, so it is served by a plain ASGI app (``FollowLink``): FastAPI's
request handling (the ``Request``, parameter validation, the response class) cost about
as much CPU as everything the redirect itself does, and FastAPI's router finding it
more (``Direct``, which ``HeraldApp`` puts where the router would be, sends it there
at once). It still runs inside the app's middleware stack, so its 404s and 429s, and a
database outage's 503, are answered by the app's exception handlers like any other
route's. Its OpenAPI description is data added to the document (``describe``): no
route stands in for it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, status
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from herald.config import Settings
from herald.runtime import Runtime
from herald.tracking.clicks import NewClick
from herald.web.throttle import Throttle, client_key

PREFIX = "/r/"
PATH = PREFIX + "{token}"
NOT_FOUND = "no such link"
MAX_TOKEN = 512  # longer than any token herald signs
# The headers the robot filter reads (ASGI names are lower case): only these are decoded.
_READ = frozenset((b"user-agent", b"accept-language", b"purpose", b"sec-purpose"))
_METHODS = ("GET", "HEAD")


def throttle_for(settings: Settings) -> Throttle | None:
    """The per-address limit (None when HERALD_REDIRECT_REQUESTS_PER_SECOND is 0).
    Generous by default: one address can be a whole carrier-grade NAT clicking the same
    post; a flood is thousands a second."""
    if settings.redirect_requests_per_second <= 0:
        return None
    return Throttle(settings.redirect_requests_per_second, settings.redirect_burst)


class FollowLink:
    """Serves ``GET|HEAD /r/{token}``: an ASGI app (Starlette would wrap a plain function
    as ``f(request)``) that gets the scope as Starlette routed it, with ``path_params``.
    The app's state is read on each request: tests swap the throttle on a running app."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["app"].state
        runtime: Runtime = state.runtime
        throttle: Throttle | None = state.redirect_throttle
        if throttle is not None:
            wait = throttle.check(client_key(scope), runtime.clock.monotonic())
            if wait:
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    "too many requests",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
        # One pass over the raw headers: Starlette's Headers scans and decodes them all on
        # every lookup, and the robot filter makes several.
        headers = {
            k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in _READ
        }
        token: str = scope["path_params"]["token"]
        ref = runtime.signer.verify_link(token) if len(token) <= MAX_TOKEN else None
        target = await runtime.targets.resolve(ref) if ref is not None else None
        if ref is None or target is None:
            runtime.metrics.links_rejected.inc()
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
        method: str = scope["method"]
        verdict = await runtime.hits.verdict(method, headers, target.promo_id)
        user_agent = headers.get("user-agent")
        meta: dict[str, str] = {"user_agent": user_agent[:256]} if user_agent else {}
        if verdict is not None:
            meta["flagged_by"] = verdict[1][:128]
        await runtime.clicks.record(
            NewClick(
                source="link",
                clicked_at=runtime.clock.now(),
                promo_id=target.promo_id,
                cta=target.cta,
                cta_text=target.cta_text,
                link_id=target.link_id,
                recipient=ref.recipient,
                chat_id=ref.chat,
                meta=meta or None,
                flag=verdict[0] if verdict is not None else None,
                variant=target.variant,
                run_id=ref.run,
            )
        )
        await send(
            {
                "type": "http.response.start",
                "status": status.HTTP_302_FOUND,
                "headers": [(b"location", location(target.url)), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})


@lru_cache(maxsize=4096)
def location(url: str) -> bytes:
    """The Location header of a target, quoted as Starlette's RedirectResponse quotes it
    (once per target rather than on every click)."""
    return quote(url, safe=":/%#?=@[]!$&'()*+,;").encode("latin-1")


class Direct:
    """Where the router would be in ``HeraldApp``'s stack for ``/r/`` paths: a
    ``GET|HEAD /r/<token>`` goes straight to ``FollowLink`` (as the router would send
    it, with its ``path_params``); anything else (another method: 405, a deeper path:
    404) to the router itself."""

    def __init__(self, router: ASGIApp, follow: ASGIApp) -> None:
        self._router = router
        self._follow = follow

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token: str = scope["path"][len(PREFIX) :]
        if token and "/" not in token and scope["method"] in _METHODS:
            scope["path_params"] = {"token": token}
            await self._follow(scope, receive, send)
        else:
            await self._router(scope, receive, send)


def _operation(method: str) -> dict[str, Any]:
    return {
        "tags": ["tracking"],
        "summary": "Follow a tracked link",
        # One id per method (FastAPI warned of a duplicate when both shared one).
        "operationId": "follow_link" if method == "get" else f"follow_link_{method}",
        "parameters": [
            {
                "name": "token",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "maxLength": MAX_TOKEN, "title": "Token"},
            }
        ],
        "responses": {
            "302": {"description": "The click is stored; Location is the link's target"},
            "404": {"description": "unknown or forged link"},
            "429": {"description": "too many requests from this address; see Retry-After"},
        },
    }


def describe(app: FastAPI) -> None:
    """``/r/{token}`` in ``app``'s OpenAPI document, first, as data: the operation FastAPI
    would derive, were a route of its own serving it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()  # FastAPI keeps it as app.openapi_schema: changed there too
        schema["paths"] = {PATH: {m: _operation(m) for m in ("get", "head")}, **schema["paths"]}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def mount(app: FastAPI) -> None:
    """``/r/`` ahead of every other route (FastAPI tries them in order), described once.
    The route serves what ``Direct`` leaves to the router (a 405 names GET and HEAD)."""
    app.router.routes.append(
        Route(PATH, FollowLink(), methods=list(_METHODS), include_in_schema=False)
    )
    describe(app)
