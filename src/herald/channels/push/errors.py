"""Push services' answers as outcomes: the one place that knows what each of them means.

Pure functions of the status, headers and body (or of the exception when there was no
answer), so every mapping is unit-tested without a server.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum

import aiohttp

from herald.channels.retry_after import retry_after_seconds
from herald.queue import Outcome, Permanent, RetryAfter, Sent, Transient

DEFAULT_RETRY_AFTER = 60.0
MAX_RETRY_AFTER = 86400.0
_ERROR_BODY_CHARS = 200


class PushReason(StrEnum):
    """The ``reason`` of a push outcome."""

    # The browser unsubscribed or the subscription expired: it will never work again.
    SUBSCRIPTION_EXPIRED = "subscription_expired"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    REJECTED = "rejected"  # a malformed request or a VAPID problem
    # Refused before sending: no push service could ever take it.
    INVALID_SUBSCRIPTION = "invalid_subscription"
    INVALID_PAYLOAD = "invalid_payload"
    # Transient: worth retrying with backoff.
    TIMEOUT = "timeout"
    NETWORK = "network"
    SERVER_ERROR = "server_error"
    UNEXPECTED_STATUS = "unexpected_status"


def map_response(
    status: int, headers: Mapping[str, str], body: str, *, now: datetime | None = None
) -> Outcome:
    """What a push service's HTTP answer means for the delivery.

    ``now`` is only read for a Retry-After given as an HTTP-date.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    if status in (200, 201, 202):
        return Sent(provider_message_id=lowered.get("location") or None)
    error = _describe(status, body)
    if status in (404, 410):
        return Permanent(error, reason=PushReason.SUBSCRIPTION_EXPIRED)
    if status == 413:
        return Permanent(error, reason=PushReason.PAYLOAD_TOO_LARGE)
    if status == 429:
        seconds = parse_retry_after(lowered.get("retry-after"), now or datetime.now(UTC))
        return RetryAfter(seconds, error=error)
    if status in (400, 401, 403):
        # Malformed request or a VAPID problem (bad JWT, key not the subscription's).
        return Permanent(error, reason=PushReason.REJECTED)
    if status == 408:
        return Transient(error, reason=PushReason.TIMEOUT)
    if 500 <= status <= 599:
        return Transient(error, reason=PushReason.SERVER_ERROR)
    if 400 <= status <= 499:
        return Permanent(error, reason=PushReason.REJECTED)
    # 1xx/3xx: nothing a push service should say; retry rather than lose the message.
    return Transient(error, reason=PushReason.UNEXPECTED_STATUS)


def map_exception(exc: BaseException) -> Outcome:
    """What a failure to get any answer means: the network's fault, so worth retrying."""
    # aiohttp's timeouts are TimeoutErrors too.
    if isinstance(exc, TimeoutError):
        return Transient(
            f"push service timed out ({type(exc).__name__})", reason=PushReason.TIMEOUT
        )
    if isinstance(exc, aiohttp.InvalidURL):
        return Permanent(
            f"push endpoint is not a valid URL: {exc}", reason=PushReason.INVALID_SUBSCRIPTION
        )
    detail = str(exc) or type(exc).__name__
    return Transient(f"push service unreachable: {detail}", reason=PushReason.NETWORK)


def parse_retry_after(value: str | None, now: datetime) -> float:
    """Retry-After as delay-seconds or an HTTP-date; clamped so a bogus value can neither
    spin (0) nor park a delivery indefinitely."""
    seconds = retry_after_seconds(value, now)
    if seconds is None:
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)


def _describe(status: int, body: str) -> str:
    text = " ".join(body.split())
    if len(text) > _ERROR_BODY_CHARS:
        text = text[:_ERROR_BODY_CHARS] + "..."
    return f"push service answered {status}" + (f": {text}" if text else "")
