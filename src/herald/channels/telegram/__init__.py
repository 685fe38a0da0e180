"""The Telegram channel: a sender over the Bot API and the map of its errors."""

from __future__ import annotations

from herald.channels.telegram.errors import (
    MEMBER_COUNT,
    MIGRATED_TO_CHAT_ID,
    NOT_MODIFIED,
    TelegramCallError,
    TelegramReason,
    outcome_for_reply,
)
from herald.channels.telegram.http import DEFAULT_API_URL
from herald.channels.telegram.media_post import MEDIA, messages_made
from herald.channels.telegram.sender import TelegramSender

__all__ = [
    "DEFAULT_API_URL",
    "MEDIA",
    "MEMBER_COUNT",
    "MIGRATED_TO_CHAT_ID",
    "NOT_MODIFIED",
    "TelegramCallError",
    "TelegramReason",
    "TelegramSender",
    "messages_made",
    "outcome_for_reply",
]
