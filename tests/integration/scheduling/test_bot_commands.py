"""Bot commands and callback buttons end to end: updates from the fake Bot API by long
polling and by webhook, the admin check with getChatMember, replies through the queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from httpx import AsyncClient
from prometheus_client import generate_latest
from sqlalchemy import select

from herald.bot.callbacks import REJECTED_ANSWER
from herald.bot.commands import REFUSAL
from herald.bot.polling import Poller, PollLease
from herald.db.tables import deliveries
from herald.queue.leases import Leases
from herald.runtime import Runtime
from herald.scheduling.content import Kind
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import WEBHOOK_SECRET, telegram_settings
from tests.support.waiting import eventually

GROUP = -1001234567890
ADMIN, MEMBER, GLOBAL_ADMIN = 501, 502, 777


async def promo_chats(runtime: Runtime) -> list[tuple[str, bool]]:
    schedule = await runtime.schedules.get_by_name("promos")
    assert schedule is not None
    return [(c.chat_id, c.active) for c in schedule.chats]


async def replies_to(telegram: FakeTelegram, chat: int) -> list[str]:
    return [m["text"] for m in telegram.messages if m["chat"]["id"] == chat]


async def run_command(
    telegram: FakeTelegram, runtime: Runtime, text: str, **sender: Any
) -> list[str]:
    """Push a command, wait until polling has queued its reply, send the replies."""
    update = telegram.push_message(GROUP, text, **sender)
    message = update.get("message") or update["channel_post"]
    key = f"reply:{GROUP}:{message['message_id']}"

    async def replied() -> bool:
        d = deliveries
        async with runtime.db.read() as conn:
            found = await conn.scalar(select(d.c.id).where(d.c.idempotency_key == key))
        return found is not None

    await eventually(replied)
    await runtime.worker(exclusive=False).drain()  # a fresh worker: no wait for the lease
    return await replies_to(telegram, GROUP)


async def test_an_administrator_subscribes_a_group_to_promos_and_unsubscribes_it(
    bot_app: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    _, runtime = bot_app
    telegram.chat_admins[str(GROUP)] = {ADMIN}

    replies = await run_command(telegram, runtime, "/start_marketing", user_id=ADMIN)
    assert replies[-1].startswith("Done: this chat will receive promos. Next post:")
    assert await promo_chats(runtime) == [(str(GROUP), True)]
    [check] = telegram.requests_for("getChatMember")
    assert check.params["user_id"] in (ADMIN, str(ADMIN))

    status = await run_command(telegram, runtime, "/status@herald_test_bot", user_id=MEMBER)
    assert status[-1].startswith("This chat receives:\n- promos: every 4 h; Next post:")

    done = await run_command(telegram, runtime, "/stop_marketing", user_id=ADMIN)
    assert done[-1] == "Done: this chat will no longer receive promos."
    assert await promo_chats(runtime) == []


async def test_an_ordinary_member_is_refused_politely(
    bot_app: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    _, runtime = bot_app
    telegram.chat_admins[str(GROUP)] = {ADMIN}
    replies = await run_command(telegram, runtime, "/start_guides", user_id=MEMBER)
    assert replies == [REFUSAL]
    guides = await runtime.schedules.get_by_name("guides")
    assert guides is not None and guides.chats == ()


async def test_listed_admin_ids_and_anonymous_admins_need_no_chat_membership(
    bot_app: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    _, runtime = bot_app
    replies = await run_command(telegram, runtime, "/start_guides", user_id=GLOBAL_ADMIN)
    assert replies[-1].startswith("Done: this chat will receive trading guides.")
    again = await run_command(telegram, runtime, "/stop_guides", as_chat=True)
    assert again[-1] == "Done: this chat will no longer receive trading guides."
    assert telegram.requests_for("getChatMember") == []  # neither needed asking


async def test_forged_callback_data_is_rejected_and_a_signed_one_answered(
    bot_app: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    _, runtime = bot_app
    [promo, *_] = await runtime.content.all(Kind.PROMO)
    signed = runtime.signer.sign(promo.id, 0)
    forged = signed[:-1] + ("A" if signed[-1] != "A" else "B")
    telegram.push_callback(GROUP, forged)
    telegram.push_callback(GROUP, signed)

    async def both_answered() -> bool:
        return len(telegram.answered_callbacks) == 2

    await eventually(both_answered)
    texts = [a["text"] for a in telegram.answered_callbacks]
    assert texts == [REJECTED_ANSWER, promo.alert_text]
    assert b"telegram_callbacks_rejected_total 1.0" in generate_latest(runtime.metrics.registry)


async def test_the_webhook_enforces_its_secret_and_handles_commands(
    database_url: str, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(
        database_url, telegram, telegram_updates="webhook", telegram_admin_ids="777", unpaced=True
    )
    async with serve(settings, poll_updates=True) as (client, runtime):
        update = telegram.push_message(GROUP, "/start_marketing", user_id=GLOBAL_ADMIN)
        telegram.updates.clear()
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            refused = await client.post("/telegram/webhook", json=update, headers=headers)
            assert refused.status_code == 401
        assert await promo_chats(runtime) == []

        good = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        answer = await client.post("/telegram/webhook", json=update, headers=good)
        assert answer.json() == {"ok": True, "handled": "command:start_marketing"}
        assert await promo_chats(runtime) == [(str(GROUP), True)]
        assert telegram.requests_for("getUpdates") == []  # webhook mode: no polling

        for body, handled in (
            (b"{not json", "ignored:not_json"),
            (b"[1, 2]", "ignored:malformed"),
            (b'{"update_id": 5, "edited_message": {}}', "ignored:unsupported"),
            (b'{"update_id": 6, "message": {"text": 7}}', "ignored:not_a_command"),
            (b"x" * (2 << 20), "ignored:oversized"),
        ):
            response = await client.post("/telegram/webhook", content=body, headers=good)
            assert (response.status_code, response.json()["handled"]) == (200, handled)

        async def endless() -> AsyncIterator[bytes]:  # chunked: no Content-Length to trust
            for _ in range(64):
                yield b"x" * 65536

        streamed = await client.post("/telegram/webhook", content=endless(), headers=good)
        assert streamed.json()["handled"] == "ignored:oversized"


async def test_the_webhook_is_not_there_in_polling_mode(
    bot_app: tuple[AsyncClient, Runtime],
) -> None:
    client, _ = bot_app
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    response = await client.post("/telegram/webhook", json={"update_id": 1}, headers=headers)
    assert response.status_code == 404


async def test_only_one_replica_polls_and_another_takes_over_when_it_stops(
    database_url: str, telegram: FakeTelegram
) -> None:
    """Telegram answers a second getUpdates consumer with 409, so replicas take turns."""
    settings = telegram_settings(database_url, telegram)
    async with serve(settings) as (_, runtime):  # no poller of its own: the two below
        await _two_replicas(runtime, telegram)


async def _two_replicas(runtime: Runtime, telegram: FakeTelegram) -> None:
    assert runtime.updates is not None and runtime.bot is not None
    leases = Leases(runtime.db, runtime.clock)

    def replica(name: str) -> Poller:
        lease = PollLease(leases, "telegram-updates:test", name, ttl=1.5)
        assert runtime.updates is not None and runtime.bot is not None
        return Poller(runtime.bot, runtime.updates, runtime.clock, lease=lease, poll_seconds=0.5)

    first, second = replica("first"), replica("second")
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(first.run(stop_first)),
        asyncio.create_task(second.run(stop_second)),
    ]
    try:

        async def one_holds() -> bool:
            return first.holding or second.holding

        await eventually(one_holds, seconds=5)
        await asyncio.sleep(0.6)  # a renewal later, still the same one
        assert first.holding != second.holding  # exactly one of them polls
        holder, other, stop_holder = (
            (first, second, stop_first) if first.holding else (second, first, stop_second)
        )
        stop_holder.set()

        async def taken_over() -> bool:
            return other.holding

        await eventually(taken_over, seconds=5)
        assert not holder.holding
        telegram.chat_admins[str(GROUP)] = {ADMIN}
        replies = await run_command(telegram, runtime, "/start_marketing", user_id=ADMIN)
        assert replies[-1].startswith("Done: this chat will receive promos.")
    finally:
        stop_first.set()
        stop_second.set()
        await asyncio.gather(*tasks)
