"""A/B variants end to end: a two-variant promo posted over many slots to many chats
through the fake Bot API, presses seeded per variant through the update handler, and
the report's figures, interval and winner; then the test ended, keeping the winner."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from typing import Any

import pytest
from httpx import AsyncClient

from herald.auth import Role
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.dashboard import sign_in
from tests.support.fake_telegram import FakeTelegram
from tests.support.media_files import png
from tests.support.telegram_app import telegram_settings

CHATS = [str(-1_001_000_000 - n) for n in range(100)]
ROUNDS = 4
PROMO = {
    "title": "Premium signals",
    "body": "Our signals, every morning.",
    "buttons": [{"text": "Get the offer"}],
    "alert_text": "Thanks!",
    "variants": [
        {"body": "Signals every morning, before the open."},
        {"body": "Stop guessing: signals before the open.", "labels": ["Start now"]},
    ],
}


def variant_of(message: dict[str, Any]) -> str:
    """The variant a posted message's callback data names (c1:<id>:0<variant>:<sig>)."""
    data = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    return str(data.split(":")[2][-1])


async def press(runtime: Runtime, telegram: FakeTelegram, message: dict[str, Any], user: int):
    button = message["reply_markup"]["inline_keyboard"][0][0]
    update = telegram.push_callback(
        message["chat"]["id"], button["callback_data"], message["message_id"], user_id=user
    )
    assert runtime.updates is not None
    assert await runtime.updates.handle(update) == "callback:clicked"


async def posted(client: AsyncClient, runtime: Runtime) -> int:
    promo = await client.post("/api/v1/promos", json=PROMO)
    assert promo.status_code == 201, promo.text
    assert [v["name"] for v in promo.json()["variants"]["variants"]] == ["A", "B"]
    schedule = await client.post(
        "/api/v1/schedules",
        json={"name": "ab", "kind": "playlist", "items": [promo.json()["id"]], "chat_ids": CHATS},
    )
    assert schedule.status_code == 201, schedule.text
    for _ in range(ROUNDS):
        ran = await client.post(f"/api/v1/schedules/{schedule.json()['id']}/run")
        assert ran.status_code == 202, ran.text
    await runtime.worker(exclusive=False).drain()
    return int(promo.json()["id"])


async def test_two_variants_over_many_slots_give_the_expected_winner_and_interval(
    database_url: str, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(database_url, telegram, unpaced=True)
    async with serve(settings) as (client, runtime):
        promo_id = await posted(client, runtime)
        by_chat: defaultdict[int, list[str]] = defaultdict(list)
        by_variant: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in telegram.messages:
            by_chat[message["chat"]["id"]].append(variant_of(message))
            by_variant[variant_of(message)].append(message)
        # every chat saw each variant in turn; each variant went to 200 posts
        assert all(Counter(seen) == {"A": 2, "B": 2} for seen in by_chat.values())
        assert all(seen[0] != seen[1] for seen in by_chat.values())
        assert {v: len(m) for v, m in by_variant.items()} == {"A": 200, "B": 200}
        assert by_variant["B"][0]["text"].startswith("Premium signals\n\nStop guessing")
        assert by_variant["B"][0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Start now"

        # 30 of A's posts and 50 of B's get a press, each by its own user; one of them
        # presses twice (a unique clicker still)
        for n, message in enumerate(by_variant["A"][:30]):
            await press(runtime, telegram, message, 5000 + n)
        for n, message in enumerate(by_variant["B"][:50]):
            await press(runtime, telegram, message, 6000 + n)
        await press(runtime, telegram, by_variant["B"][0], 6000)
        await runtime.clicks.flush()  # the batched writer's next write, now

        report = await client.get(f"/api/v1/analytics/promos/{promo_id}/variants")
        assert report.status_code == 200, report.text
        got = report.json()
        a, b = got["variants"]
        # 100 chats of 2 members each (the fake's default count) saw each variant
        figures = ("name", "posts", "sent", "chats_reached", "members_reached", "clicks",
                   "unique_clickers", "flagged")  # fmt: skip
        assert [a[f] for f in figures] == ["A", 200, 200, 100, 200, 30, 30, 0]
        assert [b[f] for f in figures] == ["B", 200, 200, 100, 200, 51, 50, 0]
        assert (a["click_through_rate"], b["click_through_rate"]) == (0.15, 0.25)
        # Wilson 95% for 50 of 200 and for 30 of 200
        assert b["interval"] == pytest.approx({"low": 0.195082, "high": 0.314341}, abs=1e-6)
        assert a["interval"] == pytest.approx({"low": 0.107136, "high": 0.206056}, abs=1e-6)
        assert (got["running"], got["winner"]) == (True, "B")  # p = 0.012 < 0.05

        posts_csv = (await client.get(f"/api/v1/analytics/promos/{promo_id}/posts.csv")).text
        assert posts_csv.splitlines()[0].endswith(",variant")
        assert {line.rsplit(",", 1)[1] for line in posts_csv.splitlines()[1:]} == {"A", "B"}
        clicks_csv = (await client.get(f"/api/v1/analytics/clicks.csv?promo_id={promo_id}")).text
        variants = {row["variant"] for row in csv.DictReader(io.StringIO(clicks_csv))}
        assert variants == {"A", "B"}
        _, key = await runtime.api_keys.create("viewer", Role.VIEWER)
        await sign_in(client, key)
        page = (await client.get(f"/analytics/promos/{promo_id}")).text
        assert '<strong id="winner">Winner: B</strong>' in page
        assert "19.51 % to 31.43 %" in page and "10.71 % to 20.61 %" in page
        client.cookies.clear()
        clicks = (await client.get(f"/api/v1/promos/{promo_id}/clicks?limit=1")).json()
        assert clicks["items"][0]["variant"] == "B"
        assert clicks["items"][0]["cta_text"] == "Start now"

        ended = await client.post(f"/api/v1/promos/{promo_id}/variants/end", json={"keep": "B"})
        assert ended.status_code == 200, ended.text
        assert ended.json()["body"] == "Stop guessing: signals before the open."
        assert ended.json()["buttons"][0]["text"] == "Start now"
        assert ended.json()["variants"]["kept"] == "B"
        again = await client.post(f"/api/v1/promos/{promo_id}/variants/end", json={"keep": "A"})
        assert again.status_code == 409
        after = (await client.get(f"/api/v1/analytics/promos/{promo_id}/variants")).json()
        assert (after["running"], after["kept"], after["winner"]) == (False, "B", "B")


async def test_variant_rules_name_the_field(database_url: str, telegram: FakeTelegram) -> None:
    async with serve(telegram_settings(database_url, telegram)) as (client, _):
        one = await client.post("/api/v1/promos", json={**PROMO, "variants": PROMO["variants"][:1]})
        assert one.status_code == 422
        assert one.json()["detail"][0]["loc"] == ["body", "variants"]
        labels = {**PROMO, "variants": [{"body": "x"}, {"body": "y", "labels": ["a", "b"]}]}
        too_many = await client.post("/api/v1/promos", json=labels)
        assert too_many.json()["detail"][0]["loc"] == ["body", "variants", 1, "labels"]
        guide = await client.post(
            "/api/v1/guides",
            json={"title": "G", "body": "b", "variants": PROMO["variants"]},
        )
        assert guide.json()["detail"][0]["loc"] == ["body", "variants"]
        plain = await client.post("/api/v1/promos", json={**PROMO, "variants": []})
        no_test = await client.post(
            f"/api/v1/promos/{plain.json()['id']}/variants/end", json={"keep": "A"}
        )
        assert no_test.status_code == 409
        assert "no variant test is running" in no_test.text


async def test_a_variant_with_a_photo_goes_by_send_photo_the_other_by_send_message(
    database_url: str, telegram: FakeTelegram
) -> None:
    chats = CHATS[:3]
    settings = telegram_settings(database_url, telegram, unpaced=True)
    async with serve(settings) as (client, runtime):
        uploaded = await client.post("/api/v1/media", files={"file": ("c.png", png(64, 48))})
        photo = int(uploaded.json()["id"])
        variants = [{"body": "A chart says more.", "media": [photo]}, {"body": "Words only."}]
        promo = await client.post("/api/v1/promos", json={**PROMO, "variants": variants})
        assert promo.status_code == 201, promo.text
        shown = promo.json()["variants"]["variants"]
        assert [(v["name"], v["media"]) for v in shown] == [("A", [photo]), ("B", None)]
        schedule = await client.post(
            "/api/v1/schedules",
            json={"name": "media-ab", "kind": "playlist", "items": [promo.json()["id"]],
                  "chat_ids": chats},
        )  # fmt: skip
        for _ in range(ROUNDS):
            await client.post(f"/api/v1/schedules/{schedule.json()['id']}/run")
        await runtime.worker(exclusive=False).drain()

        photos = telegram.requests_for("sendPhoto")
        texts = telegram.requests_for("sendMessage")
        # each chat saw each variant twice over four slots: six of each
        assert (len(photos), len(texts)) == (6, 6)
        assert all(r.params["caption"] == "Premium signals\n\nA chart says more." for r in photos)
        assert all(variant_of_markup(r.params["reply_markup"]) == "A" for r in photos)
        assert all(r.params["text"] == "Premium signals\n\nWords only." for r in texts)
        assert all(variant_of_markup(r.params["reply_markup"]) == "B" for r in texts)

        ended = await client.post(
            f"/api/v1/promos/{promo.json()['id']}/variants/end", json={"keep": "A"}
        )
        assert ended.json()["media"] == [photo]  # the kept variant's media are the promo's


def variant_of_markup(markup: Any) -> str:
    return str(markup["inline_keyboard"][0][0]["callback_data"].split(":")[2][-1])


async def test_a_variants_media_are_checked_naming_the_field(
    database_url: str, telegram: FakeTelegram
) -> None:
    async with serve(telegram_settings(database_url, telegram)) as (client, _):
        uploaded = await client.post("/api/v1/media", files={"file": ("c.png", png(8, 8))})
        photo = int(uploaded.json()["id"])
        missing = [{"body": "x"}, {"body": "y", "media": [photo, 999_999]}]
        refused = await client.post("/api/v1/promos", json={**PROMO, "variants": missing})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "variants", 1, "media", 1]
        long = [{"body": "x" * 1100}, {"body": "y", "media": [photo]}]
        fits = await client.post("/api/v1/promos", json={**PROMO, "variants": long})
        assert fits.status_code == 201, fits.text  # A has no media: 4,096 is its limit
        long[0]["media"] = [photo]
        caption = await client.post("/api/v1/promos", json={**PROMO, "variants": long})
        assert caption.status_code == 422
        assert caption.json()["detail"][0]["loc"] == ["body", "variants", 0, "body"]
        assert "1024 under media" in caption.json()["detail"][0]["msg"]
