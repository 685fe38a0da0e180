"""The Telegram channel: a sender over the Bot API and the map of its errors."""

from __future__ import annotations

from herald.channels.telegram.errors import TelegramCallError, outcome_for
from herald.channels.telegram.sender import DEFAULT_API_URL, TelegramSender

__all__ = ["DEFAULT_API_URL", "TelegramCallError", "TelegramSender", "outcome_for"]
