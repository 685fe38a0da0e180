"""createChatInviteLink: named invite links, refused where the bot may not invite."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.fake_telegram.replies import Body, Refused, ok

if TYPE_CHECKING:
    from tests.support.fake_telegram.server import FakeTelegram

MAX_NAME = 32
NO_RIGHTS = "not enough rights to manage chat invite links"  # Telegram's own words


async def create_chat_invite_link(tg: FakeTelegram, token: str, params: Body) -> tuple[int, Body]:
    chat = tg.existing_chat(params)
    if chat in tg.invite_refusals:
        raise Refused(tg.invite_refusals[chat])
    if tg.chat_type(chat) == "private":
        raise Refused("can't invite members to a private chat")
    name = str(params.get("name") or "")
    if len(name) > MAX_NAME:
        raise Refused("invite link name is too long")
    tg.invite_seq += 1
    link: Body = {
        "invite_link": f"https://t.me/+fAkE{tg.invite_seq:012d}",
        "creator": tg.bot_user(token),
        "creates_join_request": bool(params.get("creates_join_request")),
        "is_primary": False,
        "is_revoked": False,
    }
    if name:
        link["name"] = name
    tg.invite_links.append({**link, "chat_id": chat})
    return 200, ok(link)


METHODS = {"createChatInviteLink": create_chat_invite_link}
