"""An HTTP answer's ``Retry-After`` (RFC 9110): delay-seconds or an HTTP-date.

One reading for every channel that gets one (a push service's 429, a webhook
endpoint's 429 or 503); what an absent or unreadable header means, and how far a
delay may go, is each error map's own rule.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_DELAY_SECONDS = re.compile(r"\d+(\.\d+)?")


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds from ``now`` the header asks to wait (negative for a date past), or None
    when it is absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if _DELAY_SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - now).total_seconds()
