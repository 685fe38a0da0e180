"""Which Bot API edit a changed post needs (pure).

Telegram edits a sent message one way per part: ``editMessageText`` for a text
message's text, entities and link preview; ``editMessageCaption`` for a media message's
caption; ``editMessageMedia`` for its file (with the caption); and
``editMessageReplyMarkup`` when only the buttons changed. Every edit carries the
keyboard too, since an edit without one removes it. When nothing changed, or what was
posted is no longer known (its delivery pruned), the whole text or caption is sent
again and Telegram answers "message is not modified", which counts as done.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

# A post payload's fields that show in the chat, by the part of the message they are.
_TEXT = ("text", "entities", "link_preview_options")
_CAPTION = ("caption", "caption_entities", "show_caption_above_media")
_MEDIA = ("media",)
_MARKUP = ("buttons",)


class EditKind(StrEnum):
    """The ``edit`` of an edit payload; the sender maps it to the Bot API method."""

    TEXT = "text"  # editMessageText
    CAPTION = "caption"  # editMessageCaption
    MEDIA = "media"  # editMessageMedia
    MARKUP = "markup"  # editMessageReplyMarkup


# The Bot API method of each edit (the sender's map, named here for the answers).
EDIT_METHODS = {
    EditKind.TEXT: "editMessageText",
    EditKind.CAPTION: "editMessageCaption",
    EditKind.MEDIA: "editMessageMedia",
    EditKind.MARKUP: "editMessageReplyMarkup",
}


class EditRefused(ValueError):
    """The post as it is now cannot be an edit of what was sent (text <-> media)."""


def is_media(payload: Mapping[str, Any]) -> bool:
    return payload.get("media") is not None


def choose_edit(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> EditKind:
    """The edit that turns the message ``before`` showed into ``after`` (None: unknown)."""
    if before is not None and is_media(before) != is_media(after):
        was, now = ("a media", "a text") if is_media(before) else ("a text", "a media")
        raise EditRefused(f"the post was sent as {was} message; Telegram cannot make it {now} one")
    if is_media(after):
        if before is None or _differs(before, after, _MEDIA):
            return EditKind.MEDIA
        whole = EditKind.CAPTION
        content = _CAPTION
    else:
        whole = EditKind.TEXT
        content = _TEXT
    only_buttons = (
        before is not None
        and not _differs(before, after, content)
        and _differs(before, after, _MARKUP)
    )
    return EditKind.MARKUP if only_buttons else whole


def edit_payload(kind: EditKind, message_id: int, post: Mapping[str, Any]) -> dict[str, Any]:
    """The delivery payload of an edit: the post's shown fields whole (so a later edit
    knows what this one made the message say) and the edit the sender makes of them."""
    shown = (*_TEXT, *_CAPTION, *_MEDIA, *_MARKUP, "parse_mode")
    payload = {k: post[k] for k in shown if k in post}
    return {**payload, "action": "edit", "edit": kind.value, "message_id": message_id}


def _differs(before: Mapping[str, Any], after: Mapping[str, Any], keys: tuple[str, ...]) -> bool:
    return any(_shown(before.get(k)) != _shown(after.get(k)) for k in keys)


def _shown(value: Any) -> Any:
    """A field as the chat shows it: absent, null and empty are alike."""
    return value or None
