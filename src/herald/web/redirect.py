"""``GET /r/{token}``: a tracked link. The click is stored, then a 302 to the target.

The token names a content button or a registered link and is HMAC-signed; the target
comes from what herald stored, never from the request, so there is no open redirect.
An unknown, forged or malformed token is a plain 404 that says nothing more. A hit
that was no person (a preview fetcher, a crawler, ``HEAD``, a prefetch, a scanner: see
``herald.tracking.humans``) is stored with its flag and redirected all the same.

Each client address is throttled (a token bucket, ``herald.web.throttle``): a flood
from one address gets 429s with ``Retry-After`` before any token is even verified.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import RedirectResponse, Response

from herald.config import Settings
from herald.runtime import Runtime
from herald.tracking.clicks import NewClick
from herald.web.throttle import Throttle, client_key

router = APIRouter(tags=["tracking"])
NOT_FOUND = "no such link"


def throttle_for(settings: Settings) -> Throttle | None:
    """The per-address limit (None when HERALD_REDIRECT_REQUESTS_PER_SECOND is 0).
    Generous by default: one address can be a whole carrier-grade NAT clicking the same
    post; a flood is thousands a second."""
    if settings.redirect_requests_per_second <= 0:
        return None
    return Throttle(settings.redirect_requests_per_second, settings.redirect_burst)


def _throttle(request: Request) -> Throttle | None:
    throttle: Throttle | None = request.app.state.redirect_throttle
    return throttle


@router.api_route(
    "/r/{token}",
    methods=["GET", "HEAD"],
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    summary="Follow a tracked link",
    responses={
        404: {"description": "unknown or forged link"},
        429: {"description": "too many requests from this address; see Retry-After"},
    },
)
async def follow(token: Annotated[str, Path(max_length=512)], request: Request) -> Response:
    # The hottest route: the runtime and the header are read directly rather than
    # through dependencies, which cost a fifth of its time.
    runtime: Runtime = request.app.state.runtime
    throttle = _throttle(request)
    if throttle is not None:
        wait = throttle.check(client_key(request), runtime.clock.monotonic())
        if wait:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                "too many requests",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
    # One pass over the raw headers (ASGI names are lower case): Starlette's Headers
    # scans and decodes them all on every lookup, and the robot filter makes several.
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in request.scope["headers"]}
    user_agent = headers.get("user-agent")
    ref = runtime.signer.verify_link(token)
    target = await runtime.targets.resolve(ref) if ref is not None else None
    if ref is None or target is None:
        runtime.metrics.links_rejected.inc()
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    verdict = await runtime.hits.verdict(request.method, headers, target.promo_id)
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
        )
    )
    return Response(status_code=status.HTTP_302_FOUND, headers={"location": location(target.url)})


@lru_cache(maxsize=4096)
def location(url: str) -> str:
    """The Location header of a target, quoted as Starlette's RedirectResponse quotes it
    (once per target rather than on every click)."""
    return quote(url, safe=":/%#?=@[]!$&'()*+,;")
