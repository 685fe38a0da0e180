"""What a send can come to. Senders return these; only the queue interprets them.

Each channel maps its wire errors (HTTP status, SMTP reply, exception) into one of
these in exactly one place, its sender's error map.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sent:
    provider_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """The provider asked us to wait; waiting costs no attempt."""

    seconds: float
    error: str = "rate limited by provider"


@dataclass(frozen=True, slots=True)
class Transient:
    """Worth retrying with backoff (5xx, timeouts, network errors)."""

    error: str


@dataclass(frozen=True, slots=True)
class Permanent:
    """Retrying cannot help (blocked, unknown address, malformed message)."""

    error: str


Outcome = Sent | RetryAfter | Transient | Permanent
