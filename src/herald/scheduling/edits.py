"""Which Bot API edits a changed post needs, message by message (pure).

Telegram edits a sent message one way per part: ``editMessageText`` for a text
message's text, entities and link preview; ``editMessageCaption`` for a media message's
caption; ``editMessageMedia`` for its file (with the caption: the library's media id,
whose file_id the sender sends); ``editMessageReplyMarkup`` when only the
buttons changed. Every edit of a message with buttons carries them, since an edit
without a keyboard removes it. An album (``scheduling/posted.py``) is several messages:
its caption is the first file's, and its buttons are in a message of their own after it
(under the title), so a change of text edits the first and a change of buttons or title
edits that one. When nothing changed, or what was posted is no longer known (its
delivery pruned), the whole text or caption is sent again and Telegram answers "message
is not modified", which counts as done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# A rendered post's fields that show in the chat, by the part of the message they are
# (a media post's text and entities are its caption: the sender moves them).
_TEXT: tuple[str, ...] = ("text", "entities", "link_preview_options")
_CAPTION: tuple[str, ...] = ("text", "entities")
_MEDIA = ("media",)
_MARKUP = ("buttons",)
_ALBUM_BUTTONS = ("buttons", "buttons_text")
_ALBUM_PARTS = (*_CAPTION, *_ALBUM_BUTTONS)
_SHOWN = (*_TEXT, *_MEDIA, *_ALBUM_BUTTONS, "parse_mode")
# Where an edit payload keeps the whole post it makes the message show, for the next
# edit to compare with (the sender sends only its method's parameters).
POST = "herald_post"
DEFAULT_BUTTONS_TEXT = "⬇️"  # an album's buttons message without a title (media_post.py)


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
    """The post as it is now cannot be an edit of what was sent."""


@dataclass(frozen=True, slots=True)
class Edit:
    """One edit of one message of a post: its kind and its delivery payload."""

    message_id: int
    kind: EditKind
    payload: dict[str, Any]


def is_media(payload: Mapping[str, Any]) -> bool:
    return bool(payload.get("media"))


def choose_edit(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> EditKind:
    """The edit that turns a one-message post ``before`` showed into ``after`` (None:
    unknown)."""
    if before is not None and is_media(before) != is_media(after):
        was, now = ("a media", "a text") if is_media(before) else ("a text", "a media")
        raise EditRefused(f"the post was sent as {was} message; Telegram cannot make it {now} one")
    if is_media(after):
        if before is None or _differs(before, after, _MEDIA):
            return EditKind.MEDIA
        whole, content = EditKind.CAPTION, _CAPTION
    else:
        whole, content = EditKind.TEXT, _TEXT
    only_buttons = (
        before is not None
        and not _differs(before, after, content)
        and _differs(before, after, _MARKUP)
    )
    return EditKind.MARKUP if only_buttons else whole


def plan_edits(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    message_id: int,
    messages: Sequence[Mapping[str, Any]] | None = None,
) -> list[Edit]:
    """The edits that make a post's messages show ``after``: one for a one-message post;
    for an album, each changed file's (the first with the caption), the caption's and
    the buttons message's as they changed. EditRefused when Telegram cannot do it: text
    <-> media, an album's number of files changed, or its buttons message gained or
    lost."""
    if not messages or len(messages) == 1:
        kind = choose_edit(before, after)
        return [Edit(message_id, kind, edit_payload(kind, message_id, after))]
    files = [m for m in messages if "media_id" in m]
    buttons = next((m for m in messages if m.get("buttons")), None)
    now = list(after.get("media") or [])
    if len(now) != len(files):
        raise EditRefused(
            f"the album had {len(files)} files and would have {len(now)}: Telegram cannot "
            "add or remove an album's files"
        )
    if bool(buttons) != bool(after.get("buttons")):
        raise EditRefused("the album's buttons came or went: its buttons message cannot follow")
    was = list((before or {}).get("media") or [m["media_id"] for m in files])
    edits = [
        Edit(
            at, EditKind.MEDIA, edit_payload(EditKind.MEDIA, at, after, keyboard=False, file=index)
        )
        for index, at in enumerate(int(m["message_id"]) for m in files)
        if was[index : index + 1] != now[index : index + 1]
    ]
    first = int(files[0]["message_id"])
    whole = edit_payload(EditKind.CAPTION, first, after, keyboard=False)
    caption = Edit(first, EditKind.CAPTION, whole)
    if not edits and (before is None or not _differs(before, after, _ALBUM_PARTS)):
        return [caption]  # the whole caption: "not modified" when nothing changed
    first_file_edited = any(e.message_id == first for e in edits)
    if (before is None or _differs(before, after, _CAPTION)) and not first_file_edited:
        edits.insert(0, caption)
    if buttons is not None and (before is None or _differs(before, after, _ALBUM_BUTTONS)):
        at = int(buttons["message_id"])
        text = after.get("buttons_text") or DEFAULT_BUTTONS_TEXT
        shown = {"text": text, "parse_mode": None, "buttons": after["buttons"]}
        edits.append(Edit(at, EditKind.TEXT, {**edit_payload(EditKind.TEXT, at, after), **shown}))
    return edits


def edit_payload(
    kind: EditKind,
    message_id: int,
    post: Mapping[str, Any],
    *,
    keyboard: bool = True,
    file: int = 0,
) -> dict[str, Any]:
    """The delivery payload of an edit: its method's parameters, and the whole post it
    makes the message show (``herald_post``, which the sender does not send). A media
    edit shows the post's ``file``-th file, with the caption only on the first."""
    shown = {k: post[k] for k in _SHOWN if k in post}
    payload: dict[str, Any] = {"action": "edit", "edit": kind.value, "message_id": message_id}
    if kind is EditKind.TEXT:
        payload |= {k: post[k] for k in ("text", "entities", "link_preview_options", "parse_mode")
                    if k in post}  # fmt: skip
    elif kind in (EditKind.CAPTION, EditKind.MEDIA):
        payload["caption"] = (post.get("text") or "") if file == 0 else ""
        if post.get("entities") and file == 0:
            payload["caption_entities"] = post["entities"]
        if kind is EditKind.MEDIA:  # the library's file: the sender sends its file_id
            payload["media_id"] = post["media"][file]
    if keyboard and post.get("buttons"):
        payload["buttons"] = post["buttons"]
    return {**payload, POST: shown}


def shown_by(payload: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """What a delivery's payload made its message show: an edit's whole post, or the
    post's own payload."""
    if payload is None:
        return None
    post = payload.get(POST)
    return post if isinstance(post, Mapping) else payload


def _differs(before: Mapping[str, Any], after: Mapping[str, Any], keys: tuple[str, ...]) -> bool:
    return any(_shown(before.get(k)) != _shown(after.get(k)) for k in keys)


def _shown(value: Any) -> Any:
    """A field as the chat shows it: absent, null and empty are alike."""
    return value or None
