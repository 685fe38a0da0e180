"""What the worker is told about one channel: its sender and its limits, as one value.

The worker dispatches any channel the same way; what differs between channels is only
this value (Telegram's comes from ``worker/telegram.py``), so a plan is built and
checked without a database, and ``Worker`` takes one per channel instead of a mapping
per limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from herald.channels import Sender
from herald.config import ChannelSettings
from herald.worker.paid import PaidLanes
from herald.worker.ratelimit import KeyLimits, RateLimit
from herald.worker.recipients import RecipientLimits

UNLIMITED = RateLimit(1e9, 1_000_000)


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    """How one channel is dispatched.

    ``window``: at most this many sends in any sliding second, counting those in flight
    (how Telegram counts; None: the bucket alone). ``key_limits``: a token bucket per
    recipient key. ``exclusive``: the name of a database lease that one worker process
    at a time holds to dispatch this channel, so that its in-memory limits hold for all
    processes together. ``paid``: lanes sent by a second sender at their own rate,
    within a daily budget (worker/paid.py). ``messages``: how many of the provider's
    messages a payload makes (a Telegram album: one per file and its buttons message),
    which the bucket and the per-key limits count; None: one each. ``per_recipient``:
    sends in flight and a bucket per recipient (a webhook endpoint), whatever the
    ordering keys (worker/recipients.py). ``background``: its claims wait while the
    other channels' transactional sends are starting fast (worker/deference.py).
    """

    sender: Sender
    rate: RateLimit = UNLIMITED
    concurrency: int = 32
    window: int | None = None
    key_limits: KeyLimits | None = None
    exclusive: str | None = None
    paid: PaidLanes | None = None
    messages: Callable[[dict[str, Any]], int] | None = None
    per_recipient: RecipientLimits | None = None
    background: bool = False

    @classmethod
    def from_settings(cls, settings: ChannelSettings, sender: Sender) -> ChannelPlan:
        """The limits every channel has: its bucket and its sends in flight."""
        return cls(
            sender,
            rate=RateLimit(settings.rate_per_second, settings.burst),
            concurrency=settings.concurrency,
        )
