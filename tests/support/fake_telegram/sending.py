"""What a send puts in a chat: text, a photo, video, animation or document, an album.

Each function runs after the send passed the server's gate (faults, the chat's state,
flood limits) and answers the Message(s) Telegram would, or raises Refused.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from tests.support.fake_telegram.entities import formatted
from tests.support.fake_telegram.media import KINDS, WrongFile
from tests.support.fake_telegram.replies import Body, Refused, ok
from tests.support.fake_telegram.wire import current

if TYPE_CHECKING:
    from tests.support.fake_telegram.server import FakeTelegram

MAX_ALBUM = 10
ALBUM_KINDS = ("photo", "video", "document", "audio")
_media_groups = itertools.count(13_000_000_000_000_001)


def send_text(tg: FakeTelegram, token: str, chat: str, params: Body) -> Body:
    if not params.get("text"):
        raise Refused("message text is empty")
    text, entities = formatted(
        str(params["text"]), params.get("parse_mode"), params.get("entities")
    )
    content: Body = {"text": text}
    if entities:
        content["entities"] = entities
    return ok(tg.post(token, chat, params, content))


def send_media(tg: FakeTelegram, kind: str, token: str, chat: str, params: Body) -> Body:
    """sendPhoto, sendVideo, sendAnimation and sendDocument."""
    content = caption_content(params)
    content.update(media_content(tg, f"send{kind}", kind, params.get(kind), kind))
    return ok(tg.post(token, chat, params, content))


def send_media_group(tg: FakeTelegram, token: str, chat: str, params: Body) -> Body:
    media = params.get("media")
    if not isinstance(media, list):
        raise Refused("Expected an Array of InputMedia")
    if len(media) > MAX_ALBUM:
        raise Refused("Too many messages to send as an album")
    if not media:
        raise Refused("There are no messages to send")
    contents: list[Body] = []
    for item in media:
        if not isinstance(item, dict) or item.get("type") not in ALBUM_KINDS:
            raise Refused("Can't parse InputMedia: invalid media type specified")
        content = caption_content(item)
        content.update(media_content(tg, "sendMediaGroup", item["type"], item.get("media"), ""))
        contents.append(content)
    group = str(next(_media_groups)) if len(contents) > 1 else None
    album = {**params, "reply_markup": None}  # an album carries no keyboard
    messages = []
    for content in contents:
        if group is not None:
            content["media_group_id"] = group
        messages.append(tg.post(token, chat, album, content))
    return ok(messages)


def caption_content(params: Body) -> Body:
    caption = str(params.get("caption") or "")
    text, entities = formatted(
        caption, params.get("parse_mode"), params.get("caption_entities"), caption=True
    )
    content: Body = {}
    if text:
        content["caption"] = text
    if entities:
        content["caption_entities"] = entities
    return content


def media_content(tg: FakeTelegram, method: str, kind: str, value: Any, field: str) -> Body:
    """The Message's media field(s) for ``value`` (a file_id, URL or attach://, or the
    upload in multipart ``field``); an animation also sets ``document``, as the Bot API
    does for clients that predate animations."""
    if kind not in KINDS:
        raise Refused(f"Can't parse InputMedia: media type {kind} is not supported by the fake")
    try:
        shape = tg.media.resolve(method, kind, value, current.get().files, field)
    except WrongFile as exc:
        raise Refused(str(exc)) from exc
    content: Body = {kind: shape}
    if kind == "animation":
        content["document"] = shape
    return content
