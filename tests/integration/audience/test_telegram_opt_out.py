"""Telegram opt-out in a private chat, end to end with the fake Bot API: /stop, /stop
<category>, /start and /settings by long polling (and /stop by webhook), replies sent
through the queue, the preferences stored, the unsubscribes counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from herald.bot.callbacks import REJECTED_ANSWER
from herald.bot.offers import WELCOME
from herald.bot.opt_out import UNKNOWN
from herald.channel import Channel
from herald.db.tables import deliveries
from herald.messaging.campaigns import CampaignRequest
from herald.runtime import Runtime
from tests.integration.audience.conftest import PUBLIC_URL
from tests.integration.preferences.conftest import write_templates
from tests.integration.test_messaging import SL_VARS
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import WEBHOOK_SECRET, telegram_settings
from tests.support.waiting import eventually

CHAT = 4242  # a private chat: the user's own id
TEMPLATE = "position_sl_failed"  # required: opt-outs never stop it


@pytest.fixture
async def bot(
    database_url: str, telegram: FakeTelegram, tmp_path: Path
) -> AsyncIterator[tuple[int, Runtime]]:
    """The app polling the fake Bot API, the categories promos and signals, the template
    weekly_promo (promos), and the recipient ``trader`` reached at the private chat;
    yields the recipient's id."""
    settings = telegram_settings(
        database_url,
        telegram,
        public_url=PUBLIC_URL,
        templates_dir=write_templates(tmp_path / "templates"),
        unpaced=True,
    )
    async with serve(settings, poll_updates=True) as (client, runtime):
        for key in ("promos", "signals"):
            await client.post("/api/v1/categories", json={"key": key, "name": key.title()})
        await client.put("/api/v1/recipients/trader", json={"telegram_chat_id": CHAT})
        recipient = await runtime.recipients.get("trader")
        assert recipient is not None
        yield recipient.id, runtime


async def say(telegram: FakeTelegram, runtime: Runtime, text: str, chat: int = CHAT) -> str:
    """Send ``text`` in the private chat; the bot's reply, once polled, queued and sent."""
    update = telegram.push_message(chat, text)
    key = f"reply:{chat}:{update['message']['message_id']}"

    async def replied() -> bool:
        async with runtime.db.read() as conn:
            found = await conn.scalar(
                select(deliveries.c.id).where(deliveries.c.idempotency_key == key)
            )
        return found is not None

    await eventually(replied)
    await runtime.worker(exclusive=False).drain()
    return str([m for m in telegram.messages if m["chat"]["id"] == chat][-1]["text"])


def counted(runtime: Runtime, category: str) -> float:
    labels = {"category": category, "channel": "telegram", "source": "telegram"}
    return runtime.metrics.registry.get_sample_value("herald_unsubscribes_total", labels) or 0.0


async def test_stop_and_start_opt_out_of_and_back_into_telegram_campaign_messages(
    bot: tuple[int, Runtime], telegram: FakeTelegram
) -> None:
    recipient_id, runtime = bot
    stopped = await say(telegram, runtime, "/stop")
    assert stopped.startswith("Done: you will no longer receive our news and offers here")
    prefs = await runtime.preferences.get(recipient_id)
    assert not prefs.accepts(None, Channel.TELEGRAM) and not prefs.accepts("promos", "telegram")
    assert prefs.accepts(None, Channel.EMAIL)  # email keeps its own link and page
    assert counted(runtime, "all") == 1

    started = await say(telegram, runtime, "/start")
    assert started == "Welcome back: you will receive our news and offers here on Telegram again."
    assert (await runtime.preferences.get(recipient_id)).accepts("promos", Channel.TELEGRAM)
    # Nothing left to take back: /start is the welcome it always was.
    assert await say(telegram, runtime, "/start") == WELCOME


async def test_stop_one_category_and_start_it_again(
    bot: tuple[int, Runtime], telegram: FakeTelegram
) -> None:
    recipient_id, runtime = bot
    stopped = await say(telegram, runtime, "/stop promos")
    assert "no longer receive messages about 'promos'" in stopped and "/start promos" in stopped
    prefs = await runtime.preferences.get(recipient_id)
    assert not prefs.accepts("promos", Channel.TELEGRAM)
    assert prefs.accepts("signals", Channel.TELEGRAM) and prefs.accepts("promos", "email")
    assert counted(runtime, "promos") == 1

    unknown = await say(telegram, runtime, "/stop nope")
    assert unknown == "There is no topic 'nope'. Topics: promos, signals."

    assert (await say(telegram, runtime, "/start promos")).startswith("Welcome back")
    assert (await runtime.preferences.get(recipient_id)).accepts("promos", Channel.TELEGRAM)


async def test_settings_sends_the_preference_link_and_strangers_are_told_nothing_stops(
    bot: tuple[int, Runtime], telegram: FakeTelegram
) -> None:
    recipient_id, runtime = bot
    settings = await say(telegram, runtime, "/settings")
    url = runtime.recipient_links.preferences_url(recipient_id)
    assert url is not None and settings.endswith(url)

    stranger = 5151
    assert await say(telegram, runtime, "/stop", chat=stranger) == UNKNOWN
    assert await say(telegram, runtime, "/start", chat=stranger) == WELCOME


async def test_stop_by_webhook(database_url: str, telegram: FakeTelegram) -> None:
    settings = telegram_settings(database_url, telegram, telegram_updates="webhook", unpaced=True)
    async with serve(settings, poll_updates=True) as (client, runtime):
        await client.put("/api/v1/recipients/trader", json={"telegram_chat_id": CHAT})
        update = telegram.push_message(CHAT, "/stop")
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        answer = await client.post("/telegram/webhook", json=update, headers=headers)
        assert answer.json() == {"ok": True, "handled": "command:stop"}
        recipient = await runtime.recipients.get("trader")
        assert recipient is not None
        assert (await runtime.preferences.get(recipient.id)).unsubscribed_all is False
        assert not (await runtime.preferences.get(recipient.id)).accepts(None, "telegram")
        # Without HERALD_PUBLIC_URL there is no page to send.
        await runtime.worker(exclusive=False).drain()
        update = telegram.push_message(CHAT, "/settings")
        await client.post("/telegram/webhook", json=update, headers=headers)
        await runtime.worker(exclusive=False).drain()
        last = [m for m in telegram.messages if m["chat"]["id"] == CHAT][-1]["text"]
        assert last == "Sorry, the preference page is not available on this server."


async def test_the_unsubscribe_button_under_a_campaign_dm(
    bot: tuple[int, Runtime], telegram: FakeTelegram
) -> None:
    recipient_id, runtime = bot
    for template, variables in (("weekly_promo", {"offer": "2 for 1"}), (TEMPLATE, SL_VARS)):
        request = CampaignRequest("dm", template, variables, "telegram", ["trader"])
        await runtime.campaigns.start(request)
    await runtime.worker(exclusive=False).drain()
    promo, required = [m for m in telegram.messages if m["chat"]["id"] == CHAT]
    # A required template's DM ignores opt-outs: no button may offer one.
    assert "Unsubscribe" not in str(required.get("reply_markup"))
    [*_, [button]] = promo["reply_markup"]["inline_keyboard"]
    assert button["text"] == "Unsubscribe"

    forged = button["callback_data"][:-1] + ("A" if button["callback_data"][-1] != "A" else "B")
    telegram.push_callback(CHAT, forged)
    telegram.push_callback(CHAT, button["callback_data"])

    async def both_answered() -> bool:
        return len(telegram.answered_callbacks) == 2

    await eventually(both_answered)
    texts = [a["text"] for a in telegram.answered_callbacks]
    assert texts == [
        REJECTED_ANSWER,
        "Done: no more messages about 'promos' here. Send /start promos to undo.",
    ]
    prefs = await runtime.preferences.get(recipient_id)
    assert not prefs.accepts("promos", Channel.TELEGRAM) and prefs.accepts("signals", "telegram")
    assert counted(runtime, "promos") == 1
