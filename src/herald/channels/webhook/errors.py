"""An endpoint's answer (or the lack of one) as an outcome, in one place.

Pure functions of the status or the exception, so every mapping is unit-tested without
a server. As Standard Webhooks (and Svix) do, anything but a 2xx is retried on the
schedule, with two exceptions: a 410 Gone says the endpoint is gone for good (it is
disabled), and an address herald may not call is never retried. Other 4xx answers are
retried too: a receiver being deployed answers 404, one checking a just-rotated secret
401, and the schedule ends in a dead letter that can be replayed anyway.

A 429 or a 503 with a readable ``Retry-After`` (seconds or an HTTP date) is the
endpoint saying when to come back: a ``RetryAfter`` of that long, at least a second and
at most ``MAX_RETRY_AFTER`` (an hour: past it the schedule's own retries are hours
apart anyway), which costs no attempt (as Telegram's 429s) and pauses the endpoint's
other deliveries in the worker (scope ``recipient``). Without one (or unreadable) it is
a failure retried on the schedule like any other.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import aiohttp

from herald.channels.retry_after import retry_after_seconds
from herald.queue import Outcome, Permanent, RetryAfter, Sent, Transient
from herald.webhooks.addresses import ForbiddenAddress

MAX_RETRY_AFTER = 3600.0
# What a RetryAfter pauses: the endpoint (a delivery's recipient), not the channel.
RETRY_AFTER_SCOPE = "recipient"


class WebhookReason(StrEnum):
    GONE = "gone"  # 410: the endpoint is disabled
    FORBIDDEN_ADDRESS = "forbidden_address"  # resolves into a private network
    ENDPOINT_UNAVAILABLE = "endpoint_unavailable"  # deleted or disabled before the send
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    SERVER_ERROR = "server_error"  # 5xx
    RATE_LIMITED = "rate_limited"  # 429
    REDIRECT = "redirect"  # 3xx: redirects are not followed
    CLIENT_ERROR = "client_error"  # other 4xx


def map_response(
    status: int, snippet: str, retry_after: str | None = None, now: datetime | None = None
) -> Outcome:
    """``retry_after``: the answer's Retry-After header; ``now`` reads an HTTP date."""
    if 200 <= status <= 299:
        return Sent()
    error = f"endpoint answered {status}" + (f": {snippet[:200]}" if snippet else "")
    if status in (429, 503) and now is not None:
        seconds = retry_after_seconds(retry_after, now)
        if seconds is not None:
            wait = min(max(seconds, 1.0), MAX_RETRY_AFTER)
            return RetryAfter(wait, error=error, scope=RETRY_AFTER_SCOPE)
    if status == 410:
        return Permanent(error, reason=WebhookReason.GONE)
    if status == 429:
        return Transient(error, reason=WebhookReason.RATE_LIMITED)
    if 500 <= status <= 599:
        return Transient(error, reason=WebhookReason.SERVER_ERROR)
    if 300 <= status <= 399:
        return Transient(
            f"endpoint answered {status} (redirects are not followed: register the final URL)",
            reason=WebhookReason.REDIRECT,
        )
    return Transient(error, reason=WebhookReason.CLIENT_ERROR)


def forbidden_in(exc: BaseException) -> ForbiddenAddress | None:
    """The ForbiddenAddress behind an exception aiohttp wrapped, if any."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ForbiddenAddress):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def map_exception(exc: BaseException) -> Outcome:
    if (refused := forbidden_in(exc)) is not None:
        return Permanent(str(refused), reason=WebhookReason.FORBIDDEN_ADDRESS)
    if isinstance(exc, TimeoutError):  # aiohttp's timeouts are TimeoutErrors too
        return Transient("endpoint did not answer in time", reason=WebhookReason.TIMEOUT)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return Transient(
            f"could not reach the endpoint ({type(exc).__name__}: {exc})"[:500],
            reason=WebhookReason.CONNECTION,
        )
    raise exc
