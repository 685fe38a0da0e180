"""What a send can come to. Senders return these; only the queue interprets them.

Each channel maps its wire errors (HTTP status, SMTP reply, exception) into one of
these in exactly one place, its sender's error map. ``reason`` is a short
machine-readable code (``blocked``, ``chat_not_found``, ``subscription_expired``...)
that metrics and the messaging layer act on; ``error`` is for people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Sent:
    provider_message_id: str | None = None
    # Facts the provider told us on the way, e.g. {"migrated_to_chat_id": "-100123"}.
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """The provider asked us to wait; waiting costs no attempt."""

    seconds: float
    error: str = "rate limited by provider"
    # What must wait: "chat" (that ordering key: a Telegram chat), "recipient" (every
    # delivery to the recipient: a webhook endpoint), "bot"/"channel" (everything on
    # the channel), or None (only this delivery). The dispatcher pauses that scope.
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class Transient:
    """Worth retrying with backoff (5xx, timeouts, network errors)."""

    error: str
    reason: str = "transient"


@dataclass(frozen=True, slots=True)
class Permanent:
    """Retrying cannot help (blocked, unknown address, malformed message)."""

    error: str
    reason: str = "permanent"


Outcome = Sent | RetryAfter | Transient | Permanent
