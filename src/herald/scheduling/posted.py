"""What a sent post left in a chat: its messages, read from the delivery that sent it.

A text post is one message. A media post's delivery was Sent with every message it
made, comma-separated (``channels/telegram/media_post.py``): one file's message, or an
album's files in order and then, if it had buttons, the message that carries them. The
post log keeps them as ``messages`` so a later edit or delete knows which message shows
which file (its kind is the media's) and which one holds the buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def message_ids(provider_message_id: str | None) -> list[int]:
    """The Telegram message ids of a sent post, in order (none for a sandbox post)."""
    parts = (provider_message_id or "").split(",")
    return [int(p) for p in parts if p.isdigit()] if all(p.isdigit() for p in parts) else []


def first_message_id(provider_message_id: str | None) -> str | None:
    """The post's own message id as the post log shows it: the first message's."""
    ids = (provider_message_id or "").split(",", 1)
    return ids[0] or None if provider_message_id is not None else None


def posted_messages(
    provider_message_id: str | None, media: Sequence[int]
) -> list[dict[str, Any]] | None:
    """A media post's messages (None for a text post, or one without Telegram ids)."""
    ids = message_ids(provider_message_id)
    if not media or not ids:
        return None
    messages: list[dict[str, Any]] = [
        {"message_id": message_id, "media_id": media_id}
        for message_id, media_id in zip(ids, media, strict=False)
    ]
    messages += [{"message_id": extra, "buttons": True} for extra in ids[len(media) :]]
    return messages
