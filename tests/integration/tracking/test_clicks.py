"""Click tracking end to end over loopback: a promo posted to the fake Bot API, its
button pressed (by long polling and by webhook), the click stored and answered, the
metric and the analytics; tracked links; forgeries refused; bursts lose nothing."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient
from prometheus_client import generate_latest
from sqlalchemy import func, select, text

from herald.bot.callbacks import REJECTED_ANSWER
from herald.db.tables import clicks
from herald.runtime import Runtime
from herald.scheduling.content import Button, ContentDraft, Kind
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import WEBHOOK_SECRET, telegram_settings
from tests.support.waiting import eventually

GROUP = -1001234567890
USER = 4242
PUBLIC = "https://herald.example.com"
HOOK = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


@pytest.fixture
async def polling_app(
    database_url: str, telegram: FakeTelegram
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    settings = telegram_settings(
        database_url, telegram, promo_chat_ids=[str(GROUP)], public_url=PUBLIC, unpaced=True
    )
    async with serve(settings, poll_updates=True) as pair:
        yield pair


@pytest.fixture
async def webhook_app(
    database_url: str, telegram: FakeTelegram
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    settings = telegram_settings(
        database_url,
        telegram,
        promo_chat_ids=[str(GROUP)],
        public_url=PUBLIC,
        telegram_updates="webhook",
        unpaced=True,
    )
    async with serve(settings) as pair:
        yield pair


async def post_promo(runtime: Runtime, telegram: FakeTelegram) -> dict[str, Any]:
    """Run the promos schedule once and send it; the message as the chat got it."""
    promos = await runtime.schedules.get_by_name("promos")
    assert promos is not None
    result = await runtime.runner.run_due(promos.id)
    assert result is not None and result.status == "queued"
    await runtime.worker(exclusive=False).drain()
    [message] = [m for m in telegram.messages if m["chat"]["id"] == GROUP]
    return message


def callback_data(message: dict[str, Any]) -> str:
    [[button]] = message["reply_markup"]["inline_keyboard"]
    data: str = button["callback_data"]
    return data


async def click_rows(runtime: Runtime) -> list[Any]:
    await runtime.clicks.flush()
    async with runtime.db.read() as conn:
        return list((await conn.execute(select(clicks).order_by(clicks.c.id))).all())


async def test_a_press_by_long_polling_is_stored_answered_counted_and_analysed(
    polling_app: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    client, runtime = polling_app
    message = await post_promo(runtime, telegram)
    [promo, *_] = await runtime.content.all(Kind.PROMO)
    telegram.push_callback(
        GROUP, callback_data(message), message["message_id"], user_id=USER, username="trader"
    )
    telegram.push_callback(GROUP, callback_data(message), message["message_id"], user_id=USER)

    async def answered() -> bool:
        return len(telegram.answered_callbacks) == 2

    await eventually(answered)
    assert [a["text"] for a in telegram.answered_callbacks] == [promo.alert_text] * 2
    rows = await click_rows(runtime)
    assert len(rows) == 2  # every click kept: no de-duplication at write time
    assert sorted(r.username or "" for r in rows) == ["", "trader"]
    [first] = [r for r in rows if r.username]  # pressed at once: either may be written first
    assert (first.telegram_user_id, first.username, first.promo_id) == (USER, "trader", promo.id)
    assert (first.cta, first.cta_text, first.source) == (0, promo.buttons[0].text, "callback")
    assert (first.chat_id, first.message_id) == (str(GROUP), message["message_id"])
    assert first.meta["data"] == callback_data(message) and first.clicked_at.tzinfo
    metrics = generate_latest(runtime.metrics.registry).decode()
    assert f'marketing_clicks_total{{promo_id="{promo.id}"}} 2.0' in metrics

    stats = {s["promo_id"]: s for s in (await client.get("/api/v1/analytics/promos")).json()}
    assert stats[promo.id] | {"first_click": None, "last_click": None} == {
        "promo_id": promo.id,
        "title": promo.title,
        "kind": "promo",
        "posts": 1,
        "deliveries": 1,
        "clicks": 2,
        "unique_clickers": 1,
        "click_through_rate": 0.5,  # one clicker of the chat's two members
        "first_click": None,
        "last_click": None,
        "flagged": 0,
        "chats_reached": 1,
        "members_reached": 2,
        "chats_without_count": 0,
        "clickers_per_chat": 1.0,
        "joins": 0,
    }
    assert stats[promo.id]["first_click"] is not None
    page = (await client.get(f"/api/v1/promos/{promo.id}/clicks")).json()
    assert (page["total"], page["unique_clickers"], len(page["items"])) == (2, 1, 2)
    mine = (await client.get(f"/api/v1/users/{USER}/clicks")).json()
    assert [c["promo_id"] for c in mine["items"]] == [promo.id, promo.id]


async def test_a_press_through_the_webhook_and_forged_data(
    webhook_app: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    client, runtime = webhook_app
    message = await post_promo(runtime, telegram)
    data = callback_data(message)
    pressed = telegram.push_callback(GROUP, data, message["message_id"], user_id=USER)
    answer = await client.post("/telegram/webhook", json=pressed, headers=HOOK)
    [promo, *_] = await runtime.content.all(Kind.PROMO)
    # The answer rides on the webhook's response, a method call the Bot API executes.
    assert answer.json() == {
        "method": "answerCallbackQuery",
        "callback_query_id": pressed["callback_query"]["id"],
        "text": promo.alert_text,
    }
    assert answer.headers["X-Herald-Handled"] == "callback:clicked"

    forged_data = data[:-2] + ("AA" if not data.endswith("AA") else "BB")
    for bad in (forged_data, "c1:1:0:xxxxxxxxxxxxxxxx", "garbage", "c1:99999:0:" + data[-16:]):
        update = telegram.push_callback(GROUP, bad, user_id=USER)
        answer = await client.post("/telegram/webhook", json=update, headers=HOOK)
        assert answer.headers["X-Herald-Handled"] == "callback:rejected"
        assert answer.json()["text"] == REJECTED_ANSWER
    rows = await click_rows(runtime)
    assert len(rows) == 1  # forgeries store nothing
    assert telegram.answered_callbacks == []  # every answer went back inline
    assert b"telegram_callbacks_rejected_total 4.0" in generate_latest(runtime.metrics.registry)


async def test_a_burst_of_a_thousand_presses_loses_none(
    webhook_app: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    client, runtime = webhook_app
    data = callback_data(await post_promo(runtime, telegram))
    updates = [telegram.push_callback(GROUP, data, user_id=10_000 + i) for i in range(1000)]
    for start in range(0, 1000, 100):
        answers = await asyncio.gather(
            *(
                client.post("/telegram/webhook", json=u, headers=HOOK)
                for u in updates[start : start + 100]
            )
        )
        assert {a.headers["X-Herald-Handled"] for a in answers} == {"callback:clicked"}
        assert {a.json()["method"] for a in answers} == {"answerCallbackQuery"}
    rows = await click_rows(runtime)
    assert len(rows) == 1000
    assert len({r.telegram_user_id for r in rows}) == 1000


async def test_a_press_is_answered_while_its_click_waits_for_the_database(
    webhook_app: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    """The webhook answers once the click is buffered: a press never waits for the click
    writer's batch nor for whatever holds the database's write lock (issue 19: presses
    once waited for the writer's whole backlog, a p99 of seconds)."""
    client, runtime = webhook_app
    data = callback_data(await post_promo(runtime, telegram))
    pressed = telegram.push_callback(GROUP, data, user_id=USER)
    async with runtime.db.write() as conn:  # the click writer waits behind this
        if runtime.db.dialect == "postgresql":
            await conn.execute(text("LOCK TABLE clicks IN EXCLUSIVE MODE"))
        answer = await asyncio.wait_for(
            client.post("/telegram/webhook", json=pressed, headers=HOOK), 30
        )
        assert answer.headers["X-Herald-Handled"] == "callback:clicked"
        assert answer.json()["method"] == "answerCallbackQuery"
        async with runtime.db.read() as reading:
            assert await reading.scalar(select(func.count()).select_from(clicks)) == 0
    assert [r.telegram_user_id for r in await click_rows(runtime)] == [USER]


async def test_clicks_buffered_at_shutdown_are_written(
    database_url: str, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(database_url, telegram, public_url=PUBLIC, unpaced=True)
    async with serve(settings) as (client, runtime):
        [guide, *_] = await runtime.content.all(Kind.GUIDE)
        token = runtime.signer.link_token(content_id=guide.id, cta=0)
        for _ in range(300):
            assert (await client.get(f"/r/{token}")).status_code == 302
        db_url = runtime.settings.database_url
    from herald.db import Database

    db = Database(db_url)
    try:
        async with db.read() as conn:
            assert await conn.scalar(select(func.count()).select_from(clicks)) == 300
    finally:
        await db.dispose()


async def test_tracked_links_redirect_only_to_stored_targets(
    webhook_app: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    client, runtime = webhook_app
    guides = await runtime.content.all(Kind.GUIDE)
    preview = (await client.get(f"/api/v1/guides/{guides[0].id}/preview")).json()
    [[button]] = preview["buttons"]
    assert button["url"].startswith(f"{PUBLIC}/r/")
    path = button["url"].removeprefix(PUBLIC)
    followed = await client.get(path)
    assert (followed.status_code, followed.headers["location"]) == (302, guides[0].buttons[0].url)

    token = path.removeprefix("/r/")
    forged = token[:-1] + ("A" if not token.endswith("A") else "B")
    other = runtime.signer.link_token(content_id=guides[0].id, cta=5)  # no such button
    gone = runtime.signer.link_token(content_id=987654, cta=0)  # no such content
    for bad in (forged, other, gone, "x", "c1.0." + "A" * 16, "l1." + "A" * 16):
        refused = await client.get(f"/r/{bad}")
        assert refused.status_code == 404 and "location" not in refused.headers
    for sneaky in ("/r/https://evil.example.com", "/r/%2F%2Fevil.example.com"):
        assert (await client.get(sneaky)).status_code == 404

    created = await client.post(
        "/api/v1/links",
        json={"target_url": "https://example.com/offer?x=1", "recipient": "trader-7"},
    )
    assert created.status_code == 201, created.text
    link = created.json()["url"]
    followed = await client.get(link.removeprefix(PUBLIC), headers={"User-Agent": "pytest"})
    assert followed.headers["location"] == "https://example.com/offer?x=1"
    rows = await click_rows(runtime)
    assert [(r.source, r.promo_id, r.recipient) for r in rows] == [
        ("link", guides[0].id, None),
        ("link", None, "trader-7"),
    ]
    assert rows[1].meta == {"user_agent": "pytest"}
    assert b"tracked_links_rejected_total 6.0" in generate_latest(runtime.metrics.registry)


async def test_tracked_links_answer_like_a_described_route(
    webhook_app: tuple[AsyncClient, Runtime],
) -> None:
    """/r/ is served by a plain route ahead of FastAPI's: it still answers HEAD, refuses
    other methods, says 404 to a token longer than any herald signs, stores nothing for
    those, and is still described in the OpenAPI document."""
    client, runtime = webhook_app
    link = await client.post("/api/v1/links", json={"target_url": "https://example.com/offer"})
    path = link.json()["url"].removeprefix(PUBLIC)

    head = await client.head(path)
    assert (head.status_code, head.headers["location"], head.content) == (
        302,
        "https://example.com/offer",
        b"",
    )
    assert head.headers["content-length"] == "0"
    refused = await client.post(path)
    assert refused.status_code == 405
    assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD"}
    assert (await client.get(path + "/more")).status_code == 404  # no route of that shape
    too_long = await client.get("/r/" + "A" * 513)
    assert (too_long.status_code, too_long.json()) == (404, {"detail": "no such link"})
    assert [r.flag for r in await click_rows(runtime)] == ["head"]

    described = (await client.get("/openapi.json")).json()["paths"]["/r/{token}"]
    assert set(described) == {"get", "head"}
    assert described["get"]["operationId"] != described["head"]["operationId"]
    # Described as data (no FastAPI route stands in for it): what /r/ answers, and no
    # 422 (a token too long is a 404).
    assert set(described["get"]["responses"]) == {"302", "404", "429"}
    assert described["head"]["responses"] == described["get"]["responses"]


async def test_an_offer_cta_answers_with_a_deep_link_and_start_sends_it_privately(
    polling_app: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    client, runtime = polling_app
    offer = ContentDraft(
        title="VIP room",
        body="Join the VIP room.",
        buttons=(Button("Get the invite", "https://example.com/vip", click=True),),
    )
    promo_id = await runtime.content.create(Kind.PROMO, offer)
    data = runtime.signer.sign(promo_id, 0)
    telegram.push_callback(GROUP, data, user_id=USER)

    async def answered() -> bool:
        return len(telegram.answered_callbacks) == 1

    await eventually(answered)
    [answer] = telegram.answered_callbacks
    payload = runtime.signer.start_payload(promo_id, 0)
    assert answer["url"] == f"https://t.me/{telegram.bot_username}?start={payload}"

    update = telegram.push_message(USER, f"/start {payload}", user_id=USER)
    key = f"reply:{USER}:{update['message']['message_id']}"

    async def replied() -> bool:
        from herald.db.tables import deliveries as d

        async with runtime.db.read() as conn:
            return await conn.scalar(select(d.c.id).where(d.c.idempotency_key == key)) is not None

    await eventually(replied)
    await runtime.worker(exclusive=False).drain()
    [private] = [m for m in telegram.messages if m["chat"]["id"] == USER]
    assert private["text"].startswith("VIP room")
    [[invite]] = private["reply_markup"]["inline_keyboard"]
    assert invite["text"] == "Get the invite" and invite["url"].startswith(f"{PUBLIC}/r/")
    followed = await client.get(invite["url"].removeprefix(PUBLIC))
    assert followed.headers["location"] == "https://example.com/vip"
    rows = await click_rows(runtime)
    assert [(r.source, r.promo_id, r.telegram_user_id, r.recipient) for r in rows] == [
        ("callback", promo_id, USER, None),
        ("link", promo_id, None, f"tg:{USER}"),
    ]


async def test_series_and_csv(
    webhook_app: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    client, runtime = webhook_app
    data = callback_data(await post_promo(runtime, telegram))
    promo_id = runtime.signer.verify(data).promo_id  # type: ignore[union-attr]
    for user in (1, 2, 2):
        update = telegram.push_callback(GROUP, data, user_id=user)
        await client.post("/telegram/webhook", json=update, headers=HOOK)
    await runtime.clicks.flush()
    hourly = (await client.get(f"/api/v1/analytics/promos/{promo_id}/series")).json()
    assert [(p["clicks"], p["unique_clickers"]) for p in hourly] == [(3, 2)]
    assert hourly[0]["start"].endswith(":00:00Z") or hourly[0]["start"].endswith("+00:00")
    daily = (await client.get(f"/api/v1/analytics/promos/{promo_id}/series?bucket=day")).json()
    assert [p["clicks"] for p in daily] == [3]

    exported = await client.get(f"/api/v1/analytics/clicks.csv?promo_id={promo_id}")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["telegram_user_id"] for r in rows] == ["1", "2", "2"]
    assert {r["source"] for r in rows} == {"callback"}
