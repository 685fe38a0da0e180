"""``my_chat_member``: a chat that removes, bans or demotes the bot is inactive at once,
with the reason, by long polling and by webhook; a chat that adds the bot back is
offered for reactivation in the dashboard, not posted to silently."""

from __future__ import annotations

from sqlalchemy import select

from herald.auth import Role
from herald.db.tables import events
from herald.runtime import Runtime
from herald.scheduling.schedules import ScheduleKind, ScheduleSpec
from tests.support.app import serve
from tests.support.dashboard import csrf_of, sign_in
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import WEBHOOK_SECRET, telegram_settings
from tests.support.waiting import eventually

GROUP, CHANNEL, OTHER = "-1001000000001", "-1001000000002", "-1001000000003"
HOOK = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


async def chats(runtime: Runtime) -> dict[str, tuple[bool, str | None, bool]]:
    """chat -> (active, reason, offered for reactivation), over every schedule."""
    return {
        c.chat_id: (c.active, c.inactive_reason, c.readded_at is not None)
        for s in await runtime.schedules.all()
        for c in s.chats
    }


async def two_schedules(runtime: Runtime) -> None:
    for name in ("a", "b"):
        spec = ScheduleSpec(name, ScheduleKind.PROMOS, chat_ids=[GROUP, CHANNEL, OTHER])
        await runtime.schedules.create(spec)


async def test_by_long_polling_the_bot_removed_banned_demoted_and_added_back(
    database_url: str, telegram: FakeTelegram
) -> None:
    telegram.channel_chats.add(CHANNEL)
    settings = telegram_settings(database_url, telegram, unpaced=True)
    async with serve(settings, poll_updates=True, role=None) as (client, runtime):
        await two_schedules(runtime)
        telegram.push_my_chat_member(int(GROUP), "member", "kicked")
        telegram.push_my_chat_member(int(CHANNEL), "administrator", "member")
        telegram.push_my_chat_member(int(OTHER), "member", "administrator")  # a promotion

        async def handled() -> bool:
            return (await chats(runtime))[CHANNEL][0] is False

        await eventually(handled)
        assert "my_chat_member" in (telegram.allowed_updates or [])
        assert await chats(runtime) == {
            GROUP: (False, "banned", False),
            CHANNEL: (False, "demoted", False),
            OTHER: (True, None, False),
        }
        telegram.push_my_chat_member(int(GROUP), "kicked", "member")  # added back

        async def offered() -> bool:
            return (await chats(runtime))[GROUP][2]

        await eventually(offered)
        assert (await chats(runtime))[GROUP] == (False, "banned", True)  # not silently

        _, key = await runtime.api_keys.create("operator", Role.ADMIN)
        await sign_in(client, key, "/schedules")
        page = await client.get("/schedules")
        assert 'id="readded"' in page.text and f'data-chat="{GROUP}"' in page.text
        a = await runtime.schedules.get_by_name("a")
        assert a is not None
        detail = await client.get(f"/schedules/{a.id}")
        assert "the bot was added back" in detail.text and "Reactivate" in detail.text
        done = await client.post(
            f"/schedules/chats/{GROUP}/reactivate", data={"csrf": csrf_of(page)}
        )
        assert (done.status_code, done.headers["location"]) == (
            303,
            "/schedules?notice=reactivated",
        )
        assert (await chats(runtime))[GROUP] == (True, None, False)
        assert 'id="readded"' not in (await client.get("/schedules")).text


async def test_by_webhook_a_left_bot_makes_the_chat_inactive(
    database_url: str, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(database_url, telegram, telegram_updates="webhook", unpaced=True)
    async with serve(settings) as (client, runtime):
        await two_schedules(runtime)
        update = telegram.push_my_chat_member(int(GROUP), "administrator", "left")
        answer = await client.post("/telegram/webhook", json=update, headers=HOOK)
        assert answer.json() == {"ok": True, "handled": "my_chat_member:inactive:removed"}
        may_send = telegram.push_my_chat_member(int(OTHER), "member", "restricted")
        answer = await client.post("/telegram/webhook", json=may_send, headers=HOOK)
        assert answer.json()["handled"] == "my_chat_member:unchanged"  # it can still post
        muted = dict(may_send["my_chat_member"])
        muted["new_chat_member"] = {**muted["new_chat_member"], "can_send_messages": False}
        update = telegram.push_update({"my_chat_member": muted})
        answer = await client.post("/telegram/webhook", json=update, headers=HOOK)
        assert answer.json()["handled"] == "my_chat_member:inactive:restricted"
        assert (await chats(runtime))[GROUP] == (False, "removed", False)
        assert (await chats(runtime))[OTHER] == (False, "restricted", False)
        async with runtime.db.read() as conn:  # through the one function that deactivates
            found = await conn.execute(
                select(events.c.subject, events.c.data).where(events.c.type == "chat.deactivated")
            )
            told = {(r.subject, r.data["reason"]) for r in found}
        assert told == {(f"chat:{GROUP}", "removed"), (f"chat:{OTHER}", "restricted")}
