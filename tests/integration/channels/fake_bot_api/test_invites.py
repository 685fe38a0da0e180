"""createChatInviteLink as Telegram answers it, read by python-telegram-bot's own types,
and the link a chat_member update carries."""

from __future__ import annotations

import pytest
from telegram import Bot, ChatInviteLink
from telegram.error import BadRequest

from tests.integration.channels.fake_bot_api.conftest import GROUP, description
from tests.support.fake_telegram import FakeTelegram


async def test_a_named_link_and_the_join_that_carries_it(bot: Bot, telegram: FakeTelegram) -> None:
    link = await bot.create_chat_invite_link(GROUP, name="Spring promo")
    assert isinstance(link, ChatInviteLink)
    assert link.name == "Spring promo" and link.creator.id == bot.id
    assert (link.is_primary, link.is_revoked, link.creates_join_request) == (False, False, False)
    assert link.invite_link.startswith("https://t.me/+")
    telegram.push_chat_member(GROUP, 42, "left", "member", invite_link=link.invite_link)
    [update] = await bot.get_updates(allowed_updates=["chat_member"])
    assert update.chat_member is not None and update.chat_member.invite_link == link


@pytest.mark.parametrize(
    ("chat", "refusal", "answer"),
    [
        (GROUP, "not enough rights to manage chat invite links",
         "Bad Request: not enough rights to manage chat invite links"),
        (GROUP, "CHAT_ADMIN_REQUIRED", "Bad Request: CHAT_ADMIN_REQUIRED"),
        (42, None, "Bad Request: can't invite members to a private chat"),
    ],
)  # fmt: skip
async def test_refusals(
    bot: Bot, telegram: FakeTelegram, chat: int, refusal: str | None, answer: str
) -> None:
    if refusal is not None:
        telegram.invite_refusals[str(chat)] = refusal
    with pytest.raises(BadRequest):
        await bot.create_chat_invite_link(chat, name="x")
    assert description(telegram) == answer


async def test_a_name_over_32_characters_is_refused(bot: Bot, telegram: FakeTelegram) -> None:
    with pytest.raises(BadRequest):
        await bot.create_chat_invite_link(GROUP, name="x" * 33)
    assert description(telegram) == "Bad Request: invite link name is too long"
