"""Chat members: counts and the ChatMemberUpdated updates getUpdates hands out."""

from __future__ import annotations

import pytest
from telegram import Bot, ChatMemberAdministrator, ChatMemberBanned, ChatMemberMember
from telegram.error import BadRequest

from tests.integration.channels.fake_bot_api.conftest import GROUP, description
from tests.support.fake_telegram import FakeTelegram


async def test_member_count(bot: Bot, telegram: FakeTelegram) -> None:
    assert await bot.get_chat_member_count(GROUP) == 2
    telegram.member_counts[str(GROUP)] = 1234
    assert await bot.get_chat_member_count(GROUP) == 1234
    telegram.missing_chats.add("-1009")
    with pytest.raises(BadRequest):
        await bot.get_chat_member_count(-1009)
    assert description(telegram) == "Bad Request: chat not found"


async def test_my_chat_member_arrives_by_default(bot: Bot, telegram: FakeTelegram) -> None:
    telegram.push_my_chat_member(GROUP, "member", "administrator", from_user_id=5)
    telegram.push_my_chat_member(77, "member", "kicked")  # a user blocked the bot
    first, second = await bot.get_updates()
    assert first.my_chat_member is not None
    assert first.my_chat_member.chat.id == GROUP and first.my_chat_member.from_user.id == 5
    assert isinstance(first.my_chat_member.old_chat_member, ChatMemberMember)
    new = first.my_chat_member.new_chat_member
    assert isinstance(new, ChatMemberAdministrator) and new.user.id == bot.id
    assert second.my_chat_member is not None
    assert isinstance(second.my_chat_member.new_chat_member, ChatMemberBanned)


async def test_chat_member_only_when_allowed(bot: Bot, telegram: FakeTelegram) -> None:
    telegram.push_chat_member(GROUP, 42, "left", "member")
    assert await bot.get_updates() == ()
    [update] = await bot.get_updates(allowed_updates=["chat_member"])
    assert update.chat_member is not None and update.chat_member.new_chat_member.user.id == 42
    telegram.push_message(42, "hello")
    assert await bot.get_updates(offset=update.update_id + 1) == ()  # still only chat_member
    [message] = await bot.get_updates(allowed_updates=["message"])
    assert message.message is not None and message.message.text == "hello"
