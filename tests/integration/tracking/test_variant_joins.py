"""A/B variants judged by joins: a promo with a join button whose test's posts and
joins are seeded in the post log and the joins table (no posting through Telegram: the
figures are what is read back), the report's join rates, intervals and winner by joins,
and the test ended keeping the winner by the measure asked (the API; the editor's
"End test" refusing a measure with no winner)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from herald.auth import Role
from herald.config import load_settings
from herald.db.tables import joins, schedule_posts, schedule_runs
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.dashboard import csrf_of, sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
TARGET = "-1009000000001"
CHATS = [str(-1_001_000_000 - n) for n in range(100)]
PROMO = {
    "title": "The trading room",
    "body": "Join the room.",
    "buttons": [{"text": "Join", "join_chat_id": TARGET}],
    "variants": [{"body": "Join the room today."}, {"body": "Traders talk here: join."}],
}


async def seed(runtime: Runtime, promo_id: int, schedule_id: int, joined: dict[str, int]) -> None:
    """One run per variant, posted to the 100 chats (4 members each); ``joined[v]``
    people joined by variant v's links."""
    now = runtime.clock.now()
    async with runtime.db.write() as conn:
        for n, variant in enumerate("AB"):
            run_id = await conn.scalar(
                insert(schedule_runs)
                .values(schedule_id=schedule_id, trigger="manual", status="done",
                        content_id=promo_id, content_kind="promo", claimed_by="test",
                        created_at=now, slot_at=None, chats=len(CHATS))
                .returning(schedule_runs.c.id)
            )  # fmt: skip
            await conn.execute(
                insert(schedule_posts),
                [
                    {"run_id": run_id, "chat_id": chat, "status": "sent", "updated_at": now,
                     "message_id": str(10 * n + 1), "member_count": 4, "members_at": now,
                     "variant": variant}
                    for chat in CHATS
                ],
            )  # fmt: skip
            await conn.execute(
                insert(joins),
                [
                    {"invite_link_id": n + 1, "content_id": promo_id, "target_chat_id": TARGET,
                     "source_chat_id": CHATS[user % 100], "telegram_user_id": 7000 + user,
                     "joined_at": now, "variant": variant}
                    for user in range(joined[variant])
                ],
            )  # fmt: skip


async def test_a_winner_by_joins_is_named_and_kept_when_asked(database_url: str) -> None:
    async with serve(load_settings(env="dev", database_url=database_url)) as (client, runtime):
        promo = await client.post("/api/v1/promos", json=PROMO)
        assert promo.status_code == 201, promo.text
        promo_id = promo.json()["id"]
        schedule = await client.post(
            "/api/v1/schedules",
            json={"name": "ab", "kind": "playlist", "items": [promo_id], "chat_ids": CHATS},
        )
        assert schedule.status_code == 201, schedule.text
        await seed(runtime, promo_id, schedule.json()["id"], {"A": 8, "B": 25})

        got = (await client.get(f"/api/v1/analytics/promos/{promo_id}/variants")).json()
        a, b = got["variants"]
        assert [(v["members_reached"], v["joins"]) for v in (a, b)] == [(400, 8), (400, 25)]
        assert (a["join_rate"], b["join_rate"]) == (0.02, 0.0625)
        # Wilson 95% for 8 of 400 and 25 of 400 (scipy's binomtest agrees)
        assert a["join_interval"] == pytest.approx({"low": 0.010168, "high": 0.038963}, abs=1e-6)
        assert b["join_interval"] == pytest.approx({"low": 0.042689, "high": 0.090634}, abs=1e-6)
        # no clicks at all: no winner by clicks; by joins B, p = 0.0025
        assert (got["winner"], got["winner_by_joins"]) == (None, "B")

        _, key = await runtime.api_keys.create("editor", Role.ADMIN)
        await sign_in(client, key)
        page = (await client.get(f"/analytics/promos/{promo_id}")).text
        assert '<strong id="winner-by-joins">Winner by joins: B</strong>' in page
        assert "4.27 % to 9.06 %" in page
        editor = await client.get(f"/content/{promo_id}")
        assert '<option value="winner:joins">the winner by joins</option>' in editor.text
        by_clicks = await client.post(
            f"/content/{promo_id}/variants/end",
            data={"csrf": csrf_of(editor), "keep": "winner:clicks"},
        )
        assert by_clicks.status_code == 409  # no winner by clicks: the test runs on
        client.cookies.clear()

        end = f"/api/v1/promos/{promo_id}/variants/end"
        for neither_or_both in ({}, {"keep": "A", "metric": "joins"}):
            assert (await client.post(end, json=neither_or_both)).status_code == 422
        by_clicks = await client.post(end, json={"metric": "clicks"})
        assert by_clicks.status_code == 409
        assert "no variant wins by clicks" in by_clicks.text
        by_joins = await client.post(end, json={"metric": "joins"})
        assert by_joins.status_code == 200, by_joins.text
        assert by_joins.json()["variants"]["kept"] == "B"
        assert by_joins.json()["body"] == "Traders talk here: join."


async def test_a_promo_without_a_join_button_is_not_judged_by_joins(database_url: str) -> None:
    body = {**PROMO, "buttons": [{"text": "More"}], "alert_text": "Thanks!"}
    async with serve(load_settings(env="dev", database_url=database_url)) as (client, runtime):
        promo_id = (await client.post("/api/v1/promos", json=body)).json()["id"]
        schedule = await client.post(
            "/api/v1/schedules",
            json={"name": "ab", "kind": "playlist", "items": [promo_id], "chat_ids": CHATS},
        )
        await seed(runtime, promo_id, schedule.json()["id"], {"A": 8, "B": 25})
        got = (await client.get(f"/api/v1/analytics/promos/{promo_id}/variants")).json()
        assert [v["join_rate"] for v in got["variants"]] == [None, None]
        assert got["winner_by_joins"] is None
        end = f"/api/v1/promos/{promo_id}/variants/end"
        assert (await client.post(end, json={"metric": "joins"})).status_code == 409
