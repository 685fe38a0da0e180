"""Post options and forum topics end to end: written through the API, posted through a
schedule to the fake Bot API, and read back from what Telegram was asked to do."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from herald.clock import FakeClock
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import telegram_settings

GUIDES = "/api/v1/guides"
SCHEDULES = "/api/v1/schedules"
CHAT = "-1001"
FORUM = "-1002"
PREVIEW = {"url": "https://example.com/chart", "size": "large", "above_text": True}


def sends(telegram: FakeTelegram) -> list[dict[str, Any]]:
    return [r.params for r in telegram.requests if r.method == "sendMessage"]


def locs(response: Any) -> list[list[str | int]]:
    return [e["loc"] for e in response.json()["detail"]]


async def run(client: AsyncClient, runtime: Runtime, schedule: dict[str, Any]) -> dict[str, Any]:
    ran = await client.post(f"{SCHEDULES}/{schedule['id']}/run")
    assert ran.status_code == 202, ran.text
    await runtime.worker(exclusive=False).drain()
    done = await client.get(f"{SCHEDULES}/{schedule['id']}/runs/{ran.json()['id']}")
    return done.json()


async def schedule(client: AsyncClient, name: str, item: int, **fields: Any) -> dict[str, Any]:
    body = {"name": name, "kind": "playlist", "items": [item], "chat_ids": [CHAT], **fields}
    created = await client.post(SCHEDULES, json=body)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_an_items_options_are_sent_and_a_schedules_override_them_field_by_field(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        options = {"silent": True, "link_preview": PREVIEW}
        guide = await client.post(GUIDES, json={"title": "T", "body": "B", "options": options})
        assert guide.status_code == 201, guide.text
        assert guide.json()["options"] == options
        item = guide.json()["id"]

        plain = await schedule(client, "as-written", item)
        assert plain["options"] == {}
        await run(client, runtime, plain)
        [sent] = sends(telegram)
        assert sent["disable_notification"] is True
        assert "protect_content" not in sent
        assert sent["link_preview_options"] == {
            "url": "https://example.com/chart",
            "prefer_large_media": True,
            "show_above_text": True,
        }

        override = {"silent": False, "protect_content": True, "link_preview": False}
        loud = await schedule(client, "overridden", item, options=override)
        assert loud["options"] == override
        await run(client, runtime, loud)
        sent = sends(telegram)[-1]
        assert "disable_notification" not in sent
        assert sent["protect_content"] is True
        assert sent["link_preview_options"] == {"is_disabled": True}
        [*_, message] = telegram.messages
        assert message["has_protected_content"] is True

        # Only what the schedule sets wins: the item's silence stays, its preview is the
        # schedule's (one field), and a changed item is posted as it is now.
        changed = await client.patch(
            f"{SCHEDULES}/{loud['id']}", json={"options": {"link_preview": {"size": "small"}}}
        )
        assert changed.json()["options"] == {"link_preview": {"size": "small"}}
        await client.patch(f"{GUIDES}/{item}", json={"options": {"protect_content": True}})
        await run(client, runtime, loud)
        sent = sends(telegram)[-1]
        assert "disable_notification" not in sent  # the item no longer says silent
        assert sent["protect_content"] is True
        assert sent["link_preview_options"] == {"prefer_small_media": True}


async def test_topics_get_message_thread_id_and_a_closed_or_missing_topic_fails_alone(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    telegram.make_forum(FORUM, open_topics=[5], closed=[7])
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        guide = (await client.post(GUIDES, json={"title": "T", "body": "B"})).json()
        chats = [
            FORUM,
            {"chat_id": FORUM, "topic_id": 5},
            {"chat_id": int(FORUM), "topic_id": 7},
            {"chat_id": FORUM, "topic_id": 9},
        ]
        created = await schedule(client, "forum", guide["id"], chat_ids=chats)
        assert [(c["chat_id"], c.get("topic_id")) for c in created["chats"]] == [
            (FORUM, None), (FORUM, 5), (FORUM, 7), (FORUM, 9),
        ]  # fmt: skip
        assert "topic_id" not in created["chats"][0]  # a plain chat answers as it always did
        done = await run(client, runtime, created)

        threads = sorted((s.get("message_thread_id") or 0) for s in sends(telegram))
        assert threads == [0, 5, 7, 9]
        topic_messages = [m for m in telegram.messages if m.get("is_topic_message")]
        assert [m["message_thread_id"] for m in topic_messages] == [5]
        details = {d.get("topic_id"): d for d in done["details"]}
        assert (details[None]["status"], details[5]["status"]) == ("sent", "sent")
        assert details[7]["status"] == "failed" and "TOPIC_CLOSED" in details[7]["error"]
        assert details[9]["status"] == "failed"
        assert "message thread not found" in details[9]["error"]
        assert (done["posted_to"], done["failed"]) == (2, 2)

        after = (await client.get(f"{SCHEDULES}/{created['id']}")).json()
        assert [c["active"] for c in after["chats"]] == [True] * 4
        assert [c["inactive_reason"] for c in after["chats"]] == [None] * 4


async def test_a_dashboard_style_topic_text_and_a_missing_chat_still_deactivates(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    """Chat not found is still the chat's own failure: it goes inactive, topics and all."""
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        guide = (await client.post(GUIDES, json={"title": "T", "body": "B"})).json()
        created = await schedule(client, "gone", guide["id"], chat_ids="-100999/3, -1001")
        assert [(c["chat_id"], c.get("topic_id")) for c in created["chats"]] == [
            ("-100999", 3), (CHAT, None),
        ]  # fmt: skip
        telegram.missing_chats.add("-100999")
        await run(client, runtime, created)
        after = (await client.get(f"{SCHEDULES}/{created['id']}")).json()
        assert [(c["active"], c["inactive_reason"]) for c in after["chats"]] == [
            (False, "chat_not_found"), (True, None),
        ]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"options": {"silent": "loud"}}, ["body", "options", "silent"]),
        ({"options": {"link_preview": {"size": "huge"}}}, ["body", "options", "link_preview"]),
        ({"options": {"link_preview": {"url": "ftp://x"}}}, ["body", "options", "link_preview"]),
        ({"chat_ids": [{"chat_id": "-1001", "topic_id": 0}]}, ["body", "chat_ids", 0, "topic_id"]),
        ({"chat_ids": [{"chat_id": "x y", "topic_id": 2}]}, ["body", "chat_ids", 0, "chat_id"]),
        ({"chat_ids": ["-1001/x"]}, ["body", "chat_ids", 0, "topic_id"]),
    ],
)
async def test_bad_options_and_topics_are_422s_naming_the_field(
    api: tuple[AsyncClient, Runtime], fields: dict[str, Any], loc: list[str | int]
) -> None:
    client, _ = api
    guide = (await client.get(GUIDES)).json()[0]
    body = {"name": "bad", "kind": "playlist", "items": [guide["id"]], **fields}
    refused = await client.post(SCHEDULES, json=body)
    assert refused.status_code == 422
    assert all(found[: len(loc)] == loc for found in locs(refused)), refused.text
    if "options" in fields:
        refused = await client.post(GUIDES, json={"title": "T", "body": "B", **fields})
        assert refused.status_code == 422
        assert all(found[: len(loc)] == loc for found in locs(refused)), refused.text
        nulled = await client.patch(f"{GUIDES}/{guide['id']}", json={"options": None})
        assert (nulled.status_code, locs(nulled)) == (422, [["body", "options"]])


async def test_a_post_is_pinned_unpinned_and_deleted_through_the_queue_on_its_own_time(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    """The item pins quietly and deletes after 3 hours; the schedule pins with a
    notification and unpins after 1. Each step is a delivery queued (in the transaction
    that records the post sent) due from that moment, so later drains, like a restarted
    worker, find them in the queue and run each once."""
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        options = {"pin": {"notify": False}, "delete_after_hours": 3}
        guide = await client.post(GUIDES, json={"title": "T", "body": "B", "options": options})
        assert guide.status_code == 201, guide.text
        unpin = {"pin": {"notify": True, "unpin_after_hours": 1}}
        created = await schedule(client, "pins", guide.json()["id"], chat_ids=[CHAT, FORUM],
                                 options=unpin)  # fmt: skip
        done = await run(client, runtime, created)
        posts = {d["chat_id"]: int(d["message_id"]) for d in done["details"]}
        assert sorted(telegram.pin_notifications) == sorted(
            (chat, message_id, True) for chat, message_id in posts.items()
        )
        assert {c: telegram.pinned[c] for c in posts} == {c: [m] for c, m in posts.items()}
        # (A drain waiting out a group's rate limit moves the fake clock by seconds.)
        clock.advance(3000)
        await runtime.worker(exclusive=False).drain()
        assert all(telegram.pinned[c] for c in posts)  # not yet
        clock.advance(600)
        await runtime.worker(exclusive=False).drain()
        assert not any(telegram.pinned[c] for c in posts)
        clock.advance(3600)
        await runtime.worker(exclusive=False).drain()
        assert all(telegram.message(c, m) is not None for c, m in posts.items())
        assert telegram.deleted == []
        clock.advance(3600)
        await runtime.worker(exclusive=False).drain()
        assert sorted(telegram.deleted) == sorted(posts.items())
        methods = [r.method for r in telegram.requests]
        assert [methods.count(m) for m in ("pinChatMessage", "unpinChatMessage")] == [2, 2]
        assert methods.count("deleteMessage") == 2

        # A schedule's false turns the item's pin and deletion off.
        quiet = await schedule(client, "no-pins", guide.json()["id"],
                               options={"pin": False, "delete_after_hours": False})  # fmt: skip
        await run(client, runtime, quiet)
        clock.advance(4 * 3600)
        await runtime.worker(exclusive=False).drain()
        methods = [r.method for r in telegram.requests]
        assert methods.count("pinChatMessage") == 2 and methods.count("deleteMessage") == 2


@pytest.mark.parametrize(
    ("options", "loc"),
    [
        ({"delete_after_hours": 48}, ["body", "options", "delete_after_hours"]),
        ({"delete_after_hours": True}, ["body", "options", "delete_after_hours"]),
        ({"pin": {"unpin_after_hours": 0}}, ["body", "options", "pin"]),
        ({"pin": True}, ["body", "options", "pin"]),
    ],
)
async def test_pins_and_deletions_out_of_telegrams_bounds_are_422s(
    api: tuple[AsyncClient, Runtime], options: dict[str, Any], loc: list[str]
) -> None:
    client, _ = api
    refused = await client.post(GUIDES, json={"title": "T", "body": "B", "options": options})
    assert refused.status_code == 422
    assert all(found[: len(loc)] == loc for found in locs(refused)), refused.text
