"""A sent message's lifecycle: edits, deletes, pins and forum topics."""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    MessageEntity,
)
from telegram.error import BadRequest

from tests.integration.channels.fake_bot_api.conftest import GROUP, description
from tests.support.fake_telegram import FakeTelegram
from tests.support.media_files import png

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Buy", url="https://example.com/buy")]])
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


async def test_edit_text_changes_what_the_chat_shows(bot: Bot, telegram: FakeTelegram) -> None:
    sent = await bot.send_message(GROUP, "Sale ends today", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text(
        "Sale ends 🕛 tonight",
        GROUP,
        sent.message_id,
        entities=[MessageEntity("italic", 10, 7)],
        reply_markup=KEYBOARD,
    )
    assert not isinstance(edited, bool)
    assert edited.text == "Sale ends 🕛 tonight" and edited.edit_date is not None
    assert edited.entities == (MessageEntity("italic", 10, 7),)
    assert edited.reply_markup == KEYBOARD
    shown = telegram.message(GROUP, sent.message_id)
    assert shown is not None and shown["text"] == "Sale ends 🕛 tonight"

    with pytest.raises(BadRequest):
        await bot.edit_message_text(
            "Sale ends 🕛 tonight",
            GROUP,
            sent.message_id,
            entities=[MessageEntity("italic", 10, 7)],
            reply_markup=KEYBOARD,
        )
    assert description(telegram) == NOT_MODIFIED

    # The same text without reply_markup is a change: the keyboard goes.
    bare = await bot.edit_message_text(
        "Sale ends 🕛 tonight", GROUP, sent.message_id, entities=[MessageEntity("italic", 10, 7)]
    )
    assert not isinstance(bare, bool) and bare.reply_markup is None
    assert len(telegram.edits) == 2


async def test_edits_telegram_refuses(bot: Bot, telegram: FakeTelegram) -> None:
    with pytest.raises(BadRequest):
        await bot.edit_message_text("x", GROUP, 99)
    assert description(telegram) == "Bad Request: message to edit not found"
    photo = await bot.send_photo(GROUP, "https://cdn.example.com/a.jpg", caption="a")
    with pytest.raises(BadRequest):
        await bot.edit_message_text("x", GROUP, photo.message_id)
    assert description(telegram) == "Bad Request: there is no text in the message to edit"
    text = await bot.send_message(GROUP, "plain")
    with pytest.raises(BadRequest):
        await bot.edit_message_caption(GROUP, text.message_id, caption="c")
    assert description(telegram) == "Bad Request: there is no caption in the message to edit"


async def test_edit_caption_media_and_keyboard(bot: Bot, telegram: FakeTelegram) -> None:
    photo = await bot.send_photo(GROUP, png(640, 480), caption="Chart", reply_markup=KEYBOARD)
    captioned = await bot.edit_message_caption(
        GROUP, photo.message_id, caption="Chart v2", reply_markup=KEYBOARD
    )
    assert not isinstance(captioned, bool) and captioned.caption == "Chart v2"
    assert captioned.photo == photo.photo

    replaced = await bot.edit_message_media(
        InputMediaPhoto(png(320, 240, 7), caption="New chart", filename="n.png"),
        GROUP,
        photo.message_id,
    )
    assert not isinstance(replaced, bool)
    assert replaced.photo[-1].width == 320 and replaced.caption == "New chart"
    assert replaced.reply_markup is None  # no reply_markup given: removed
    assert telegram.media.uploads_of(png(320, 240, 7)) == 1

    keyed = await bot.edit_message_reply_markup(GROUP, photo.message_id, reply_markup=KEYBOARD)
    assert not isinstance(keyed, bool) and keyed.reply_markup == KEYBOARD
    with pytest.raises(BadRequest):
        await bot.edit_message_reply_markup(GROUP, photo.message_id, reply_markup=KEYBOARD)
    assert description(telegram) == NOT_MODIFIED
    as_document = await bot.edit_message_media(
        InputMediaDocument("https://cdn.example.com/r.pdf"), GROUP, photo.message_id
    )
    assert not isinstance(as_document, bool)
    assert as_document.document is not None and not as_document.photo


async def test_delete_within_48_hours_only(bot: Bot, telegram: FakeTelegram) -> None:
    first = await bot.send_message(GROUP, "one")
    assert await bot.delete_message(GROUP, first.message_id) is True
    assert telegram.message(GROUP, first.message_id) is None
    assert telegram.deleted == [(str(GROUP), first.message_id)]
    with pytest.raises(BadRequest):
        await bot.delete_message(GROUP, first.message_id)
    assert description(telegram) == "Bad Request: message to delete not found"

    old = await bot.send_message(GROUP, "two")
    telegram.age_message(GROUP, old.message_id, hours=48)
    with pytest.raises(BadRequest):
        await bot.delete_message(GROUP, old.message_id)
    assert description(telegram) == "Bad Request: message can't be deleted"
    young = await bot.send_message(GROUP, "three")
    telegram.age_message(GROUP, young.message_id, hours=47.9)
    assert await bot.delete_message(GROUP, young.message_id) is True

    private = await bot.send_message(42, "hi")
    telegram.age_message(42, private.message_id, hours=49)
    with pytest.raises(BadRequest):
        await bot.delete_message(42, private.message_id)
    assert description(telegram) == "Bad Request: message can't be deleted for everyone"


async def test_pins_with_and_without_a_notification(bot: Bot, telegram: FakeTelegram) -> None:
    first = await bot.send_message(GROUP, "pin me")
    second = await bot.send_message(GROUP, "and me")
    assert await bot.pin_chat_message(GROUP, first.message_id, disable_notification=True)
    assert await bot.pin_chat_message(GROUP, second.message_id)
    assert telegram.pinned[str(GROUP)] == [first.message_id, second.message_id]
    assert telegram.pin_notifications == [
        (str(GROUP), first.message_id, False),
        (str(GROUP), second.message_id, True),
    ]
    assert await bot.unpin_chat_message(GROUP, first.message_id)
    assert await bot.unpin_chat_message(GROUP)  # the latest pin
    assert telegram.pinned[str(GROUP)] == []
    with pytest.raises(BadRequest):
        await bot.pin_chat_message(GROUP, 99)
    assert description(telegram) == "Bad Request: message to pin not found"

    telegram.pin_forbidden_chats.add(str(GROUP))
    with pytest.raises(BadRequest):
        await bot.pin_chat_message(GROUP, first.message_id)
    assert description(telegram) == (
        "Bad Request: not enough rights to manage pinned messages in the chat"
    )


async def test_forum_topics(bot: Bot, telegram: FakeTelegram) -> None:
    telegram.make_forum(GROUP, open_topics=[7], closed=[8])
    posted = await bot.send_photo(
        GROUP, "https://cdn.example.com/a.jpg", caption="in a topic", message_thread_id=7
    )
    assert posted.message_thread_id == 7 and posted.is_topic_message is True
    assert posted.chat.is_forum is True
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP, "x", message_thread_id=9)
    assert description(telegram) == "Bad Request: message thread not found"
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP, "x", message_thread_id=8)
    assert description(telegram) == "Bad Request: TOPIC_CLOSED"

    plain = await bot.send_message(-1009876543210, "not a forum", message_thread_id=9)
    assert plain.message_thread_id is None and plain.chat.is_forum is None
