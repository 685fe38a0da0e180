"""Chat members: getChatMember, getChatMemberCount and the ChatMemberUpdated updates
(``my_chat_member``: the bot's own status changed; ``chat_member``: someone else's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.fake_telegram.replies import Body, Refused, ok

if TYPE_CHECKING:
    from tests.support.fake_telegram.server import FakeTelegram

DEFAULT_MEMBER_COUNT = 2  # the bot and the one who added it
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


async def get_chat_member(tg: FakeTelegram, _token: str, params: Body) -> tuple[int, Body]:
    chat, user = tg.existing_chat(params), params.get("user_id")
    if not str(user or "").isdigit():
        raise Refused("invalid user_id specified")
    user_obj = {"id": int(str(user)), "is_bot": False, "first_name": "Test"}
    if int(str(user)) in tg.chat_admins.get(chat, set()):
        return 200, ok(member("administrator", user_obj))
    return 200, ok(member("member", user_obj))


async def get_chat_member_count(tg: FakeTelegram, _token: str, params: Body) -> tuple[int, Body]:
    chat = tg.existing_chat(params)
    return 200, ok(tg.member_counts.get(chat, DEFAULT_MEMBER_COUNT))


def member(status: str, user: Body) -> Body:
    """A ChatMember of ``status`` (creator, administrator, member, restricted, left, kicked)."""
    if status == "administrator":
        found: Body = {"status": status, "user": user, "can_be_edited": False}
        found.update(dict.fromkeys(ADMIN_RIGHTS, True), is_anonymous=False)
        return found
    if status == "creator":
        return {"status": status, "user": user, "is_anonymous": False}
    if status == "kicked":
        return {"status": status, "user": user, "until_date": 0}
    if status == "restricted":
        return {"status": status, "user": user, "is_member": True, "until_date": 0}
    return {"status": status, "user": user}


def member_updated(chat: Body, by: Body, user: Body, old: str, new: str, date: int) -> Body:
    return {
        "chat": chat,
        "from": by,
        "date": date,
        "old_chat_member": member(old, user),
        "new_chat_member": member(new, user),
    }


METHODS = {"getChatMember": get_chat_member, "getChatMemberCount": get_chat_member_count}
