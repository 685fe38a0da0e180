"""A sent message's lifecycle: editMessageText, editMessageCaption, editMessageMedia,
editMessageReplyMarkup, deleteMessage, pinChatMessage and unpinChatMessage.

As Telegram: an edit without ``reply_markup`` removes the keyboard; an edit that changes
nothing is refused as "message is not modified"; a bot deletes a message only within
48 hours of sending it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.support.fake_telegram import sending
from tests.support.fake_telegram.entities import formatted
from tests.support.fake_telegram.media import KINDS
from tests.support.fake_telegram.replies import Body, Refused, ok
from tests.support.fake_telegram.wire import flag

if TYPE_CHECKING:
    from tests.support.fake_telegram.server import FakeTelegram

Answer = tuple[int, Body]
DELETE_WINDOW_SECONDS = 48 * 3600
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_CONTENT = ("text", "entities", "caption", "caption_entities", *KINDS)


async def edit_message_text(tg: FakeTelegram, _token: str, params: Body) -> Answer:
    chat, message = _find(tg, params, "message to edit")
    if "text" not in message:
        raise Refused("there is no text in the message to edit")
    if not params.get("text"):
        raise Refused("message text is empty")
    text, entities = formatted(
        str(params["text"]), params.get("parse_mode"), params.get("entities")
    )
    return _edited(tg, chat, message, {"text": text, "entities": entities}, params)


async def edit_message_caption(tg: FakeTelegram, _token: str, params: Body) -> Answer:
    chat, message = _find(tg, params, "message to edit")
    if not any(kind in message for kind in KINDS):
        raise Refused("there is no caption in the message to edit")
    content = {"caption": None, "caption_entities": None, **sending.caption_content(params)}
    return _edited(tg, chat, message, content, params)


async def edit_message_media(tg: FakeTelegram, _token: str, params: Body) -> Answer:
    chat, message = _find(tg, params, "message to edit")
    if not any(kind in message for kind in KINDS):
        raise Refused("there is no media in the message to edit")
    media = params.get("media")
    if not isinstance(media, dict) or media.get("type") not in KINDS:
        raise Refused("can't parse InputMedia JSON object")
    in_album = "media_group_id" in message
    if (in_album and "animation" in (media["type"], _kind(message))) or (
        in_album and ((media["type"] == "document") != (_kind(message) == "document"))
    ):
        raise Refused("Can't use the media of the specified type in the album")
    content: Body = dict.fromkeys(_CONTENT)
    content.update(sending.caption_content(media))
    content.update(
        sending.media_content(tg, "editMessageMedia", media["type"], media.get("media"), "")
    )
    return _edited(tg, chat, message, content, params)


async def edit_message_reply_markup(tg: FakeTelegram, _token: str, params: Body) -> Answer:
    chat, message = _find(tg, params, "message to edit")
    return _edited(tg, chat, message, {}, params)


async def delete_message(tg: FakeTelegram, _token: str, params: Body) -> Answer:
    chat, message = _find(tg, params, "message to delete")
    if tg.wall_clock() - message["date"] >= DELETE_WINDOW_SECONDS:
        private = message["chat"]["type"] == "private"
        raise Refused("message can't be deleted" + (" for everyone" if private else ""))
    del tg.chat_messages[chat, message["message_id"]]
    tg.deleted.append((chat, message["message_id"]))
    if message["message_id"] in tg.pinned.get(chat, []):
        tg.pinned[chat].remove(message["message_id"])
    return 200, ok(True)


async def pin_chat_message(tg: FakeTelegram, _token: str, params: Body) -> Answer:
    chat = tg.existing_chat(params)
    if chat in tg.pin_forbidden_chats:
        raise Refused("not enough rights to manage pinned messages in the chat")
    _, message = _find(tg, params, "message to pin")
    pins = tg.pinned.setdefault(chat, [])
    if message["message_id"] in pins:
        pins.remove(message["message_id"])
    pins.append(message["message_id"])
    notify = not flag(params.get("disable_notification"))
    tg.pin_notifications.append((chat, message["message_id"], notify))
    return 200, ok(True)


async def unpin_chat_message(tg: FakeTelegram, _token: str, params: Body) -> Answer:
    """Unpins ``message_id``, or without it the latest pin."""
    chat = tg.existing_chat(params)
    if chat in tg.pin_forbidden_chats:
        raise Refused("not enough rights to manage pinned messages in the chat")
    pins = tg.pinned.get(chat, [])
    if params.get("message_id") in (None, ""):
        if pins:
            pins.pop()
        return 200, ok(True)
    _, message = _find(tg, params, "message to unpin")
    if message["message_id"] in pins:
        pins.remove(message["message_id"])
    return 200, ok(True)


def _find(tg: FakeTelegram, params: Body, what: str) -> tuple[str, Body]:
    chat = tg.existing_chat(params)
    try:
        message_id = int(str(params.get("message_id")))
    except ValueError:
        raise Refused(f"{what} not found") from None
    message = tg.chat_messages.get((chat, message_id))
    if message is None:
        raise Refused(f"{what} not found")
    return chat, message


def _kind(message: Body) -> str:
    return next(kind for kind in KINDS if kind in message)  # an animation before its document


def _edited(tg: FakeTelegram, chat: str, message: Body, content: Body, params: Body) -> Answer:
    """Applies ``content`` (a None value removes the field) and the new keyboard."""
    markup = params.get("reply_markup")
    changes: dict[str, Any] = {**content, "reply_markup": markup if markup else None}
    after = dict(message)
    for key, value in changes.items():
        if value in (None, []):
            after.pop(key, None)
        else:
            after[key] = value
    before = {k: v for k, v in message.items() if k != "edit_date"}
    if {k: v for k, v in after.items() if k != "edit_date"} == before:
        raise Refused(NOT_MODIFIED)
    after["edit_date"] = int(tg.wall_clock())
    message.clear()
    message.update(after)
    tg.edits.append(dict(message))
    return 200, ok(message)


METHODS = {
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageMedia": edit_message_media,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "pinChatMessage": pin_chat_message,
    "unpinChatMessage": unpin_chat_message,
}
