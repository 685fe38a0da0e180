"""Joins per promo: a join button's invite link made once per (promo, target, chat posted
in) through the fake Bot API, a refusal failing the post with Telegram's reason, and
joins counted from chat_member updates by long polling and by webhook."""

from __future__ import annotations

import re
import time
from typing import Any

from httpx import AsyncClient

from herald.auth import Role
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.dashboard import sign_in
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import WEBHOOK_SECRET, telegram_settings
from tests.support.waiting import eventually

TARGET, REFUSING = "-1009000000001", "-1009000000002"
SOURCE_A, SOURCE_B = "-1001000000001", "-1001000000002"
HOOK = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
TITLE = "The members-only trading room, daily"  # 36 characters: the name is cut to 32


def promo(target: str) -> dict[str, Any]:
    return {"title": TITLE, "body": "Join the room.",
            "buttons": [{"text": "Join", "join_chat_id": target}, {"text": "More"}]}  # fmt: skip


async def post(client: AsyncClient, runtime: Runtime, body: dict[str, Any], name: str) -> int:
    created = await client.post("/api/v1/promos", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["buttons"][0]["join_chat_id"] == body["buttons"][0]["join_chat_id"]
    schedule = await client.post(
        "/api/v1/schedules",
        json={"name": name, "kind": "playlist", "items": [created.json()["id"]],
              "chat_ids": [SOURCE_A, SOURCE_B]},
    )  # fmt: skip
    assert schedule.status_code == 201, schedule.text
    for _ in range(2):
        ran = await client.post(f"/api/v1/schedules/{schedule.json()['id']}/run")
        assert ran.status_code == 202, ran.text
    await runtime.worker(exclusive=False).drain()
    return int(created.json()["id"])


def join_button_urls(telegram: FakeTelegram, chat: str) -> list[str]:
    return [
        m["reply_markup"]["inline_keyboard"][0][0]["url"]
        for m in telegram.messages
        if str(m["chat"]["id"]) == chat
    ]


async def test_links_per_source_chat_and_joins_by_long_polling(
    database_url: str, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(database_url, telegram, unpaced=True)
    async with serve(settings, poll_updates=True) as (client, runtime):
        promo_id = await post(client, runtime, promo(TARGET), "room")
        made = telegram.invite_links
        assert [(x["chat_id"], x["name"]) for x in made] == [(TARGET, TITLE[:32])] * 2
        link_a, link_b = (x["invite_link"] for x in made)
        # each source chat's posts carry its own link, made once and used again
        assert join_button_urls(telegram, SOURCE_A) == [link_a, link_a]
        assert join_button_urls(telegram, SOURCE_B) == [link_b, link_b]
        assert len(telegram.requests_for("createChatInviteLink")) == 2

        telegram.push_chat_member(int(TARGET), 501, "left", "member", invite_link=link_a)
        telegram.push_chat_member(int(TARGET), 502, "kicked", "member", invite_link=link_a)
        telegram.push_chat_member(int(TARGET), 503, "left", "member", invite_link=link_b)
        # not joins of ours: another admin's link, a member promoted, a member leaving
        telegram.push_chat_member(
            int(TARGET), 504, "left", "member", invite_link="https://t.me/+other"
        )
        telegram.push_chat_member(int(TARGET), 501, "member", "administrator", invite_link=link_a)
        telegram.push_chat_member(int(TARGET), 505, "member", "left")

        async def counted() -> bool:
            joins = (await client.get(f"/api/v1/analytics/promos/{promo_id}/joins")).json()
            return bool(joins["joins"] == 3)

        await eventually(counted, what="three joins")
        assert "chat_member" in (telegram.allowed_updates or [])
        joins = (await client.get(f"/api/v1/analytics/promos/{promo_id}/joins")).json()
        assert joins["by_source"] == [
            {"source_chat_id": SOURCE_A, "target_chat_id": TARGET, "joins": 2},
            {"source_chat_id": SOURCE_B, "target_chat_id": TARGET, "joins": 1},
        ]
        listed = (await client.get("/api/v1/analytics/promos")).json()
        assert next(p for p in listed if p["promo_id"] == promo_id)["joins"] == 3
        rows = (await client.get(f"/api/v1/analytics/promos/{promo_id}/joins.csv")).text
        lines = rows.splitlines()
        assert lines[0] == (
            "id,joined_at,content_id,source_chat_id,target_chat_id,telegram_user_id,variant"
        )
        assert [line.split(",")[3] for line in lines[1:]] == [SOURCE_A, SOURCE_A, SOURCE_B]
        _, key = await runtime.api_keys.create("viewer", Role.VIEWER)
        await sign_in(client, key)
        page = (await client.get(f"/analytics/promos/{promo_id}")).text
        assert '<td class="num" id="joins-total">3</td>' in page
        assert (
            f'<code>{SOURCE_A}</code></td><td><code>{TARGET}</code></td><td class="num">2' in page
        )


async def test_a_refused_link_fails_the_post_with_telegrams_reason(
    database_url: str, telegram: FakeTelegram
) -> None:
    telegram.invite_refusals[REFUSING] = "not enough rights to manage chat invite links"
    settings = telegram_settings(database_url, telegram, unpaced=True)
    async with serve(settings) as (client, runtime):
        await post(client, runtime, promo(REFUSING), "refused")
        assert telegram.messages == [] and telegram.invite_links == []
        schedule = await runtime.schedules.get_by_name("refused")
        assert schedule is not None
        runs = await runtime.runs.runs(schedule.id)
        assert [(r.status, r.posted_to, r.failed) for r in runs] == [("done", 0, 2)] * 2
        assert {p.error for p in runs[0].posts} == {
            f"no invite link to {REFUSING} for this chat: 400 Bad Request: not enough rights "
            "to manage chat invite links"
        }
        # tried again at each post, so a bot made administrator later gets its links
        assert len(telegram.requests_for("createChatInviteLink")) == 4


async def test_joins_by_webhook(database_url: str, telegram: FakeTelegram) -> None:
    settings = telegram_settings(database_url, telegram, telegram_updates="webhook", unpaced=True)
    async with serve(settings, poll_updates=True) as (client, runtime):
        promo_id = await post(client, runtime, promo(TARGET), "hooked")
        assert runtime.bot is not None  # as `herald telegram set-webhook` sets it
        await runtime.bot.set_webhook("https://herald.example/telegram/webhook", WEBHOOK_SECRET)
        assert "chat_member" in (telegram.allowed_updates or [])
        link = telegram.invite_links[0]["invite_link"]
        update = telegram.push_chat_member(int(TARGET), 601, "left", "member", invite_link=link)
        answer = await client.post("/telegram/webhook", json=update, headers=HOOK)
        assert answer.json() == {"ok": True, "handled": "chat_member:stored"}
        again = await client.post("/telegram/webhook", json=update, headers=HOOK)
        assert again.json() == {"ok": True, "handled": "chat_member:duplicate"}
        joins = (await client.get(f"/api/v1/analytics/promos/{promo_id}/joins")).json()
        assert joins["by_source"] == [
            {"source_chat_id": SOURCE_A, "target_chat_id": TARGET, "joins": 1}
        ]


async def test_join_buttons_are_promos_and_links_only(
    database_url: str, telegram: FakeTelegram
) -> None:
    async with serve(telegram_settings(database_url, telegram)) as (client, _):
        guide = await client.post(
            "/api/v1/guides",
            json={"title": "G", "body": "b", "buttons": [{"text": "J", "join_chat_id": TARGET}]},
        )
        assert guide.json()["detail"][0]["loc"] == ["body", "buttons", 0, "join_chat_id"]
        both = promo(TARGET)
        both["buttons"][0]["url"] = "https://example.com"
        refused = await client.post("/api/v1/promos", json=both)
        assert refused.json()["detail"][0]["loc"] == ["body", "buttons", 0, "join_chat_id"]
        bad = await client.post("/api/v1/promos", json=promo("not a chat"))
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["body", "buttons", 0, "join_chat_id"]


async def test_joins_per_variant_by_each_variants_own_link(
    database_url: str, telegram: FakeTelegram
) -> None:
    body = {**promo(TARGET), "variants": [{"body": "Join the room."}, {"body": "Come in."}]}
    settings = telegram_settings(database_url, telegram, unpaced=True)
    async with serve(settings, poll_updates=True) as (client, runtime):
        promo_id = await post(client, runtime, body, "ab-room")
        # a link per (source chat, variant), made before the first slot, used again
        made = {(x["chat_id"], x["name"]) for x in telegram.invite_links}
        assert made == {(TARGET, f"{TITLE[:28]} [A]"), (TARGET, f"{TITLE[:28]} [B]")}
        assert len(telegram.invite_links) == 4  # two sources, two variants
        shown: dict[str, list[str]] = {}  # variant -> the join links its posts carried
        for message in telegram.messages:
            keyboard = message["reply_markup"]["inline_keyboard"]
            variant = keyboard[1][0]["callback_data"].split(":")[2][-1]
            shown.setdefault(variant, []).append(keyboard[0][0]["url"])
        # two slots in two chats: each chat showed A once and B once
        assert sorted((v, len(urls)) for v, urls in shown.items()) == [("A", 2), ("B", 2)]
        assert not set(shown["A"]) & set(shown["B"])

        # two joins by A's posts' links (one from each chat), one by B's, a second on:
        # Telegram dates them in whole seconds, and the test began within this one
        telegram.wall_clock = lambda: time.time() + 1
        for user, link in ((701, shown["A"][0]), (702, shown["A"][1]), (703, shown["B"][0])):
            telegram.push_chat_member(int(TARGET), user, "left", "member", invite_link=link)

        async def counted() -> bool:
            joins = (await client.get(f"/api/v1/analytics/promos/{promo_id}/joins")).json()
            return bool(joins["joins"] == 3)

        await eventually(counted, what="three joins")
        report = (await client.get(f"/api/v1/analytics/promos/{promo_id}/variants")).json()
        assert [(v["name"], v["joins"]) for v in report["variants"]] == [("A", 2), ("B", 1)]
        rows = (await client.get(f"/api/v1/analytics/promos/{promo_id}/joins.csv")).text
        assert sorted(line.rsplit(",", 1)[1] for line in rows.splitlines()[1:]) == ["A", "A", "B"]
        _, key = await runtime.api_keys.create("viewer", Role.VIEWER)
        await sign_in(client, key)
        page = (await client.get(f"/analytics/promos/{promo_id}")).text
        joins_column = _variant_header(page).index("joins")
        assert [_variant_cells(page, v)[joins_column] for v in "AB"] == ["2", "1"]


async def test_an_edit_keeps_each_chats_invite_link(
    database_url: str, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(database_url, telegram, unpaced=True)
    async with serve(settings) as (client, runtime):
        promo_id = await post(client, runtime, promo(TARGET), "edited")
        link_a, link_b = (x["invite_link"] for x in telegram.invite_links)
        changed = await client.patch(f"/api/v1/promos/{promo_id}", json={"body": "Join us now."})
        assert changed.status_code == 200, changed.text
        schedule = await runtime.schedules.get_by_name("edited")
        assert schedule is not None
        run = (await runtime.runs.runs(schedule.id))[0]
        edit = await client.post(f"/api/v1/schedules/{schedule.id}/runs/{run.id}/edit")
        assert edit.status_code == 202, edit.text
        await runtime.worker(exclusive=False).drain()
        edits = telegram.requests_for("editMessageText")
        assert {str(e.params["chat_id"]): e.params["text"] for e in edits} == {
            SOURCE_A: f"{TITLE}\n\nJoin us now.",
            SOURCE_B: f"{TITLE}\n\nJoin us now.",
        }
        assert {
            str(e.params["chat_id"]): e.params["reply_markup"]["inline_keyboard"][0][0]["url"]
            for e in edits
        } == {SOURCE_A: link_a, SOURCE_B: link_b}


def _variant_header(page: str) -> list[str]:
    """The variants table's column names, as the promo's analytics page shows them."""
    table = re.search(r'<table class="grid" id="variants">(.*?)</table>', page, re.S)
    assert table is not None, "no variants table"
    return re.findall(r"<th>(.*?)</th>", table.group(1))


def _variant_cells(page: str, name: str) -> list[str]:
    """One variant's row of that table, cell by cell."""
    row = re.search(rf'<tr data-variant="{name}">(.*?)</tr>', page, re.S)
    assert row is not None, f"no row for variant {name}"
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
