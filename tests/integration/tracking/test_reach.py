"""Real reach: a sent post keeps its chat's member count (getChatMemberCount through
the queue, at most once per chat per hour), and CTR is unique human clickers over
members reached, per post, per chat and per promo."""

from __future__ import annotations

from datetime import UTC, datetime

from httpx import AsyncClient
from sqlalchemy import select

from herald.auth import Role
from herald.clock import FakeClock
from herald.db.tables import schedule_posts
from herald.runtime import Runtime
from herald.scheduling.content import Button, ContentDraft, Kind
from tests.support.app import serve
from tests.support.dashboard import sign_in
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import WEBHOOK_SECRET, telegram_settings

BIG, SMALL = "-1001000000001", "-1001000000002"
HOOK = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
OFFER = ContentDraft(title="Spring offer", body="Press it.", buttons=(Button("Ask", None),))


async def schedule(client: AsyncClient, promo_id: int) -> int:
    created = await client.post(
        "/api/v1/schedules",
        json={"name": "reach", "kind": "playlist", "items": [promo_id], "chat_ids": [BIG, SMALL]},
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def run(client: AsyncClient, runtime: Runtime, schedule_id: int) -> None:
    assert (await client.post(f"/api/v1/schedules/{schedule_id}/run")).status_code == 202
    await runtime.worker(exclusive=False).drain()


async def counts(runtime: Runtime) -> list[tuple[str, int | None]]:
    p = schedule_posts
    async with runtime.db.read() as conn:
        rows = await conn.execute(select(p.c.chat_id, p.c.member_count).order_by(p.c.id))
        return [(r.chat_id, r.member_count) for r in rows]


async def test_member_counts_beside_posts_and_ctr_per_post_chat_and_promo(
    database_url: str, telegram: FakeTelegram
) -> None:
    clock = FakeClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    telegram.member_counts.update({BIG: 1000, SMALL: 20})
    settings = telegram_settings(database_url, telegram, telegram_updates="webhook")
    async with serve(settings, clock) as (client, runtime):
        promo_id = await runtime.content.create(Kind.PROMO, OFFER)
        schedule_id = await schedule(client, promo_id)
        await run(client, runtime, schedule_id)
        assert await counts(runtime) == [(BIG, 1000), (SMALL, 20)]
        assert len(telegram.requests_for("getChatMemberCount")) == 2

        clock.advance(1800)  # half an hour later: the counts are reused, not asked again
        telegram.member_counts[BIG] = 1500
        await run(client, runtime, schedule_id)
        assert (await counts(runtime))[2:] == [(BIG, 1000), (SMALL, 20)]
        assert len(telegram.requests_for("getChatMemberCount")) == 2

        clock.advance(7200)  # two hours later: asked again
        await run(client, runtime, schedule_id)
        assert (await counts(runtime))[4:] == [(BIG, 1500), (SMALL, 20)]
        assert len(telegram.requests_for("getChatMemberCount")) == 4

        [latest, *_] = [m for m in reversed(telegram.messages) if str(m["chat"]["id"]) == BIG]
        data = runtime.signer.sign(promo_id, 0)
        for user in (1, 2, 2):
            update = telegram.push_callback(int(BIG), data, latest["message_id"], user_id=user)
            await client.post("/telegram/webhook", json=update, headers=HOOK)
        await runtime.clicks.flush()

        stats = {s["promo_id"]: s for s in (await client.get("/api/v1/analytics/promos")).json()}
        mine = stats[promo_id]
        assert (mine["deliveries"], mine["chats_reached"], mine["members_reached"]) == (6, 2, 1520)
        assert (mine["unique_clickers"], mine["click_through_rate"]) == (2, round(2 / 1520, 4))
        assert (mine["clickers_per_chat"], mine["chats_without_count"]) == (1.0, 0)

        chats = (await client.get(f"/api/v1/analytics/promos/{promo_id}/chats")).json()
        assert [(c["chat_id"], c["posts"], c["members"], c["unique_clickers"]) for c in chats] == [
            (BIG, 3, 1500, 2),
            (SMALL, 3, 20, 0),
        ]
        assert chats[0]["click_through_rate"] == round(2 / 1500, 4)

        posts = (await client.get(f"/api/v1/analytics/promos/{promo_id}/posts")).json()
        assert len(posts) == 6
        [pressed] = [p for p in posts if p["clicks"]]
        assert (pressed["chat_id"], pressed["message_id"]) == (BIG, str(latest["message_id"]))
        assert (pressed["members"], pressed["clicks"], pressed["unique_clickers"]) == (1500, 3, 2)


PUBLIC = "https://herald.example.com"
PHONE = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36",
    "Accept-Language": "en-GB,en;q=0.9",
}


def link_of(telegram: FakeTelegram, chat: str) -> str:
    [message] = [m for m in telegram.messages if str(m["chat"]["id"]) == chat]
    url: str = message["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert url.startswith(f"{PUBLIC}/r/")
    return url.removeprefix(PUBLIC)


async def test_a_link_click_counts_in_the_chat_its_post_was_sent_to(
    database_url: str, telegram: FakeTelegram
) -> None:
    clock = FakeClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    telegram.member_counts.update({BIG: 1000, SMALL: 20})
    settings = telegram_settings(database_url, telegram, public_url=PUBLIC)
    offer = ContentDraft(
        title="Spring offer", body="Open it.", buttons=(Button("Open", "https://example.com/o"),)
    )
    async with serve(settings, clock) as (client, runtime):
        promo_id = await runtime.content.create(Kind.PROMO, offer)
        await run(client, runtime, await schedule(client, promo_id))
        big, small = link_of(telegram, BIG), link_of(telegram, SMALL)
        assert big != small  # each chat's post has its own token, naming the chat
        clock.advance(60)  # a minute after the post: a person, not a scanner
        assert (await client.get(small, headers=PHONE)).status_code == 302
        assert (await client.get(small, headers=PHONE)).status_code == 302
        # a token from before links named their chat still redirects: it names no chat
        old = "/r/" + runtime.signer.link_token(content_id=promo_id, cta=0)
        followed = await client.get(old, headers=PHONE)
        assert followed.headers["location"] == "https://example.com/o"
        await runtime.clicks.flush()

        chats = (await client.get(f"/api/v1/analytics/promos/{promo_id}/chats")).json()
        assert {c["chat_id"]: c["clicks"] for c in chats} == {SMALL: 2, BIG: 0}
        stats = {s["promo_id"]: s for s in (await client.get("/api/v1/analytics/promos")).json()}
        assert stats[promo_id]["clicks"] == 3  # the promo counts the old token's click too


async def test_link_clicks_and_presses_count_in_the_post_they_came_from(
    database_url: str, telegram: FakeTelegram
) -> None:
    clock = FakeClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    telegram.member_counts.update({BIG: 1000, SMALL: 20})
    settings = telegram_settings(
        database_url, telegram, public_url=PUBLIC, telegram_updates="webhook"
    )
    offer = ContentDraft(
        title="Spring offer",
        body="Open it, or ask.",
        buttons=(Button("Open", "https://example.com/o"), Button("Ask", None)),
    )
    async with serve(settings, clock) as (client, runtime):
        promo_id = await runtime.content.create(Kind.PROMO, offer)
        schedule_id = await schedule(client, promo_id)
        await run(client, runtime, schedule_id)
        clock.advance(7200)
        await run(client, runtime, schedule_id)
        first, second = [m for m in telegram.messages if str(m["chat"]["id"]) == SMALL]
        [[link], [ask]] = second["reply_markup"]["inline_keyboard"]
        first_link = first["reply_markup"]["inline_keyboard"][0][0]["url"].removeprefix(PUBLIC)
        assert first_link != link["url"].removeprefix(PUBLIC)  # each run's post its own
        clock.advance(60)

        # the second post: two people's link clicks, a HEAD (flagged), three presses by two
        # users; the first post: one link click; tokens naming no post: counted elsewhere
        for _ in range(2):
            assert (await client.get(link["url"].removeprefix(PUBLIC), headers=PHONE)).is_redirect
        assert (await client.head(link["url"].removeprefix(PUBLIC), headers=PHONE)).is_redirect
        assert (await client.get(first_link, headers=PHONE)).is_redirect
        for token in (
            runtime.signer.link_token(content_id=promo_id, cta=0),
            runtime.signer.link_token(content_id=promo_id, cta=0, chat=SMALL),
        ):
            assert (await client.get(f"/r/{token}", headers=PHONE)).is_redirect
        for user in (1, 1, 2):
            update = telegram.push_callback(
                int(SMALL), ask["callback_data"], second["message_id"], user_id=user
            )
            await client.post("/telegram/webhook", json=update, headers=HOOK)
        await runtime.clicks.flush()

        posts = (await client.get(f"/api/v1/analytics/promos/{promo_id}/posts")).json()
        figures = {
            (p["run_id"], p["chat_id"]): (p["clicks"], p["unique_clickers"], p["flagged"])
            for p in posts
        }
        run1, run2 = sorted({p["run_id"] for p in posts})
        assert figures == {
            (run2, SMALL): (5, 2, 1),  # 2 link clicks (no person named) + 3 presses by 2
            (run1, SMALL): (1, 0, 0),
            (run2, BIG): (0, 0, 0),
            (run1, BIG): (0, 0, 0),
        }
        [post] = [p for p in posts if (p["run_id"], p["chat_id"]) == (run2, SMALL)]
        assert (post["members"], post["click_through_rate"]) == (20, 0.1)

        csv = (await client.get(f"/api/v1/analytics/promos/{promo_id}/posts.csv")).text
        assert f"{run2},{SMALL},{second['message_id']}," in csv
        assert ",20,5,2,1,0.1," in csv
        clicks_csv = (await client.get(f"/api/v1/analytics/clicks.csv?promo_id={promo_id}")).text
        assert clicks_csv.splitlines()[0].endswith(",variant,run_id")
        assert sum(line.endswith(f",{run2}") for line in clicks_csv.splitlines()) == 3

        # an edit of the run's posts keeps each one's links naming it
        edit = await client.post(f"/api/v1/schedules/{schedule_id}/runs/{run2}/edit")
        assert edit.status_code == 202, edit.text
        await runtime.worker(exclusive=False).drain()
        [edited] = [r for r in telegram.requests_for("editMessageText") if r.chat_id == SMALL]
        assert edited.params["reply_markup"]["inline_keyboard"][0][0]["url"] == link["url"]

        _, key = await runtime.api_keys.create("viewer", Role.VIEWER)
        client.base_url = "https://herald.test"  # HERALD_PUBLIC_URL is https: so is the login
        await sign_in(client, key)
        page = (await client.get(f"/analytics/promos/{promo_id}")).text
        row = page.split(f'data-post="{run2}:{SMALL}"')[1].split("</tr>")[0]
        assert [cell.split("<")[0] for cell in row.split('class="num">')[3:7]] == [
            "5", "2", "1", "10.00 %",
        ]  # fmt: skip
