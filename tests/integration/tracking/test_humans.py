"""People's clicks apart from everything else that hits /r/: Telegram's preview fetcher,
crawlers, HEAD, prefetches and scanners are stored with a flag and kept out of the
figures; unique clickers per promo, per chat and per day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient
from sqlalchemy import select

from herald.clock import FakeClock
from herald.db.tables import clicks
from herald.runtime import Runtime
from herald.scheduling.content import Button, ContentDraft, Kind
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.posting import post_now
from tests.support.telegram_app import WEBHOOK_SECRET, telegram_settings

GROUP, OTHER = "-1001234567890", "-1009876543210"
PUBLIC = "https://herald.example.com"
HOOK = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
PHONE = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36",
    "Accept-Language": "en-GB,en;q=0.9",
}
OFFER = ContentDraft(
    title="Spring offer",
    body="Open the offer.",
    buttons=(Button("Open", "https://example.com/offer"), Button("Ask", None)),
)


async def link_promo(client: AsyncClient, runtime: Runtime, *chats: str) -> tuple[int, str]:
    """A promo with a link button posted to ``chats``; its id and the link's /r/ path."""
    promo_id = await runtime.content.create(Kind.PROMO, OFFER)
    for chat in chats:
        await post_now(client, runtime, promo_id, chat)
    return promo_id, "/r/" + runtime.signer.link_token(content_id=promo_id, cta=0)


async def flags(runtime: Runtime) -> list[Any]:
    await runtime.clicks.flush()
    async with runtime.db.read() as conn:
        rows = await conn.execute(select(clicks.c.flag, clicks.c.meta).order_by(clicks.c.id))
        return [(r.flag, (r.meta or {}).get("flagged_by")) for r in rows]


async def test_robots_head_and_prefetch_are_stored_flagged_and_not_counted(
    database_url: str, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(database_url, telegram, public_url=PUBLIC)
    async with serve(settings) as (client, runtime):
        promo_id, path = await link_promo(client, runtime)
        hits = [
            ("GET", {"User-Agent": "TelegramBot (like TwitterBot)"}),
            ("HEAD", PHONE),
            ("GET", {**PHONE, "Sec-Purpose": "prefetch;prerender"}),
            ("GET", {**PHONE, "Purpose": "prefetch"}),
            ("GET", {"User-Agent": "Mozilla/5.0 (compatible; bingbot/2.0)"}),
            ("GET", PHONE),
        ]
        for method, headers in hits:
            answer = await client.request(method, path, headers=headers)
            assert answer.status_code == 302  # every one is sent on: only the count differs
            assert answer.headers["location"] == "https://example.com/offer"
        assert await flags(runtime) == [
            ("preview", "TelegramBot"),
            ("head", "HEAD"),
            ("prefetch", "prefetch;prerender"),
            ("prefetch", "prefetch"),
            ("crawler", "bingbot"),
            (None, None),
        ]
        stats = {s["promo_id"]: s for s in (await client.get("/api/v1/analytics/promos")).json()}
        assert (stats[promo_id]["clicks"], stats[promo_id]["flagged"]) == (1, 5)
        page = (await client.get(f"/api/v1/promos/{promo_id}/clicks")).json()
        assert (page["total"], page["unique_clickers"], page["flagged"]) == (1, 0, 5)
        assert len(page["items"]) == 6  # flagged hits are listed, with their flag
        series = (await client.get(f"/api/v1/analytics/promos/{promo_id}/series")).json()
        assert [(p["clicks"], p["flagged"]) for p in series] == [(1, 5)]


async def test_a_scanner_is_a_hit_without_accept_language_seconds_after_the_post(
    database_url: str, telegram: FakeTelegram
) -> None:
    clock = FakeClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    settings = telegram_settings(database_url, telegram, public_url=PUBLIC)
    async with serve(settings, clock) as (client, runtime):
        _, path = await link_promo(client, runtime, GROUP)
        bare = {"User-Agent": PHONE["User-Agent"]}  # a browser's agent, no Accept-Language
        clock.advance(3)
        await client.get(path, headers=bare)  # 3 s after the post: a scanner
        await client.get(path, headers=PHONE)  # 3 s after, but a browser's headers: a person
        clock.advance(20)
        await client.get(path, headers=bare)  # 23 s after: a person (nothing says otherwise)
        assert await flags(runtime) == [
            ("scanner", "within 10 s of the post"),
            (None, None),
            (None, None),
        ]


async def test_unique_clickers_per_promo_per_chat_and_per_day(
    database_url: str, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(
        database_url, telegram, public_url=PUBLIC, telegram_updates="webhook"
    )
    async with serve(settings) as (client, runtime):
        promo_id, _ = await link_promo(client, runtime)
        data = runtime.signer.sign(promo_id, 1)
        for chat, user in ((GROUP, 1), (GROUP, 2), (GROUP, 2), (OTHER, 1)):
            update = telegram.push_callback(int(chat), data, user_id=user)
            await client.post("/telegram/webhook", json=update, headers=HOOK)
        await runtime.clicks.flush()
        chats = (await client.get(f"/api/v1/analytics/promos/{promo_id}/chats")).json()
        assert [(c["chat_id"], c["clicks"], c["unique_clickers"]) for c in chats] == [
            (GROUP, 3, 2),
            (OTHER, 1, 1),
        ]
        stats = {s["promo_id"]: s for s in (await client.get("/api/v1/analytics/promos")).json()}
        assert (stats[promo_id]["clicks"], stats[promo_id]["unique_clickers"]) == (4, 2)
        url = f"/api/v1/analytics/promos/{promo_id}/series?bucket=day"
        daily = (await client.get(url)).json()
        assert [(p["clicks"], p["unique_clickers"]) for p in daily] == [(4, 2)]
