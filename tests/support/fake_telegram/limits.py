"""Telegram's flood limits, and what breaking a 429's ``retry_after`` leaves behind."""

from __future__ import annotations

from dataclasses import dataclass

PAID = "paid"  # the key of the bot's paid broadcasts in the flood counters


@dataclass(frozen=True)
class Violation:
    """A request that arrived while a 429's ``retry_after`` still forbade it."""

    chat_id: str
    at: float
    until: float


@dataclass(frozen=True)
class Limits:
    """Telegram's documented broadcast limits (core.telegram.org/bots/faq)."""

    per_bot_per_second: int = 30
    per_private_chat_per_second: int = 1
    per_group_per_minute: int = 20
    # Messages sent with allow_paid_broadcast: up to 1,000/s, counted apart from the
    # free ones (core.telegram.org/bots/api#sendmessage); per-chat limits still hold.
    paid_per_bot_per_second: int = 1000
