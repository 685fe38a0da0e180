"""click.recorded: a press through the bot's webhook and a /r/ link, written with the click
batch (a crawler's hit makes none), on both databases."""

from __future__ import annotations

from typing import Any

from herald.events import EventType
from herald.scheduling.content import Button, ContentDraft, Kind
from tests.support.app import serve
from tests.support.events import data_of, events_of
from tests.support.fake_telegram import FakeTelegram
from tests.support.posting import post_now
from tests.support.telegram_app import WEBHOOK_SECRET, telegram_settings

GROUP, USER = -1001234567890, 4242
PUBLIC = "https://herald.example.com"
OFFER = ContentDraft(
    title="Spring offer",
    body="Open the offer.",
    buttons=(Button("Open", "https://example.com/offer"), Button("Ask", None)),
)
HOOK = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
PHONE = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36",
    "Accept-Language": "en-GB,en;q=0.9",
}


async def test_a_press_and_a_link_click_record_their_events(
    database_url: str, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(
        database_url, telegram, public_url=PUBLIC, telegram_updates="webhook", unpaced=True
    )
    async with serve(settings) as (client, runtime):
        promo_id = await runtime.content.create(Kind.PROMO, OFFER)
        await post_now(client, runtime, promo_id, str(GROUP))
        [message] = [m for m in telegram.messages if m["chat"]["id"] == GROUP]
        [[_], [ask]] = message["reply_markup"]["inline_keyboard"]  # a row each
        pressed = telegram.push_callback(
            GROUP, ask["callback_data"], message["message_id"], user_id=USER, username="t"
        )
        answer = await client.post("/telegram/webhook", json=pressed, headers=HOOK)
        assert answer.headers["X-Herald-Handled"] == "callback:clicked"

        link = "/r/" + runtime.signer.link_token(content_id=promo_id, cta=0)
        crawler = {"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0)"}
        assert (await client.get(link, headers=crawler)).status_code == 302
        assert (await client.get(link, headers=PHONE)).status_code == 302
        await runtime.clicks.flush()

        rows = await events_of(runtime.db, EventType.CLICK_RECORDED)
        assert [r.subject for r in rows] == [f"promo:{promo_id}"] * 2  # not the crawler's
        by_source: dict[str, Any] = {
            d["source"]: d for d in await data_of(runtime.db, EventType.CLICK_RECORDED)
        }
        press = by_source["callback"]
        assert press == {
            "source": "callback",
            "promo_id": promo_id,
            "cta": 1,
            "cta_text": "Ask",
            "link_id": None,
            "telegram_user_id": USER,
            "username": "t",
            "recipient": None,
            "chat_id": str(GROUP),
            "message_id": message["message_id"],
            "clicked_at": press["clicked_at"],
        }
        assert (by_source["link"]["promo_id"], by_source["link"]["cta"]) == (promo_id, 0)
        assert by_source["link"]["telegram_user_id"] is None
