"""A post's life after it was sent, through the fake Bot API: its pins, unpins and
timed deletes, and the edits and deletes asked for later, each with its result per
chat in the post log."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient
from sqlalchemy import update

from herald.clock import FakeClock
from herald.db.tables import schedule_post_actions
from herald.runtime import Runtime
from herald.scheduling.effects import PostingEffects
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.media_files import png
from tests.support.telegram_app import telegram_settings

GUIDES = "/api/v1/guides"
SCHEDULES = "/api/v1/schedules"
CHAT = "-1001"
OTHER = "-1002"


async def drain(runtime: Runtime) -> None:
    await runtime.worker(exclusive=False).drain()


async def posted(
    client: AsyncClient, runtime: Runtime, guide: dict[str, Any], **options: Any
) -> dict[str, Any]:
    """A schedule posting ``guide`` to both chats, run once and sent."""
    body = {"name": "life", "kind": "playlist", "items": [guide["id"]], "chat_ids": [CHAT, OTHER]}
    created = await client.post(SCHEDULES, json={**body, "options": options})
    assert created.status_code == 201, created.text
    ran = await client.post(f"{SCHEDULES}/{created.json()['id']}/run")
    assert ran.status_code == 202, ran.text
    await drain(runtime)
    return await run_log(client, ran.json())


async def run_log(client: AsyncClient, run: dict[str, Any]) -> dict[str, Any]:
    found = await client.get(f"{SCHEDULES}/{run['schedule_id']}/runs/{run['id']}")
    assert found.status_code == 200, found.text
    return dict(found.json())


def actions(run: dict[str, Any]) -> dict[str, list[tuple[str, str, str | None]]]:
    """Each chat's actions as (action, status, detail)."""
    return {
        d["chat_id"]: [(a["action"], a["status"], a["detail"]) for a in d["actions"]]
        for d in run["details"]
    }


async def test_pins_unpins_and_timed_deletes_are_in_the_post_log_with_telegrams_refusal(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    telegram.pin_forbidden_chats.add(OTHER)
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        guide = (await client.post(GUIDES, json={"title": "T", "body": "B"})).json()
        pin = {"notify": False, "unpin_after_hours": 1}
        run = await posted(client, runtime, guide, pin=pin, delete_after_hours=2)
        refused = "400 Bad Request: not enough rights to manage pinned messages in the chat"
        assert actions(run) == {
            CHAT: [("pin", "done", None), ("unpin", "queued", None), ("delete", "queued", None)],
            OTHER: [
                ("pin", "failed", refused),
                ("unpin", "queued", None),
                ("delete", "queued", None),
            ],
        }
        sent_at = {d["chat_id"]: d["actions"][0]["due_at"] for d in run["details"]}
        unpin_due = [d["actions"][1]["due_at"] for d in run["details"]]
        assert all(due > sent_at[CHAT] for due in unpin_due)

        clock.advance(2 * 3600 + 60)
        await drain(runtime)
        run = await run_log(client, run)
        assert actions(run) == {
            CHAT: [("pin", "done", None), ("unpin", "done", None), ("delete", "done", None)],
            OTHER: [
                ("pin", "failed", refused),
                ("unpin", "failed", refused),
                ("delete", "done", None),
            ],
        }
        assert run["status"] == "done" and run["posted_to"] == 2  # the post itself was sent


async def ask(client: AsyncClient, run: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
    url = f"{SCHEDULES}/{run['schedule_id']}/runs/{run['id']}/{action}"
    answered = await client.post(url, json=body or None)
    assert answered.status_code == 202, answered.text
    return dict(answered.json())


async def test_edit_everywhere_edits_each_chat_once_and_records_each_result(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        guide = (await client.post(GUIDES, json={"title": "T", "body": "Old"})).json()
        run = await posted(client, runtime, guide)
        ids = {d["chat_id"]: int(d["message_id"]) for d in run["details"]}

        # Nothing changed: the edit still goes, and Telegram's "not modified" is done.
        same = await ask(client, run, "edit")
        assert same["queued"] == 2
        assert {(c["status"], c["detail"]) for c in same["chats"]} == {
            ("queued", "editMessageText")
        }
        await drain(runtime)
        run = await run_log(client, run)
        [[(action, status, detail)]] = {tuple(a) for a in actions(run).values()}
        assert (action, status) == ("edit", "done")
        assert detail is not None and "message is not modified" in detail

        # The item changed; one chat's message was deleted by an administrator meanwhile.
        markdown = {"body": "New **bold**", "format": "markdown"}
        changed = await client.patch(f"{GUIDES}/{guide['id']}", json=markdown)
        assert changed.status_code == 200, changed.text
        del telegram.chat_messages[OTHER, ids[OTHER]]
        first = await ask(client, run, "edit")
        again = await ask(client, run, "edit")  # a double click
        assert (first["queued"], again["queued"]) == (2, 0)
        assert [c["status"] for c in again["chats"]] == ["already_queued"] * 2
        assert [c["delivery_id"] for c in again["chats"]] == [
            c["delivery_id"] for c in first["chats"]
        ]
        await drain(runtime)
        shown = telegram.message(CHAT, ids[CHAT])
        assert shown is not None and shown["text"] == "T\n\nNew bold"
        assert {"type": "bold", "offset": 7, "length": 4} in shown["entities"]
        assert len(telegram.requests_for("editMessageText")) == 4  # 2 not modified, 2 now
        run = await run_log(client, run)
        assert actions(run)[CHAT][1] == ("edit", "done", None)
        assert actions(run)[OTHER][1] == (
            "edit",
            "failed",
            "400 Bad Request: message to edit not found",
        )

        # Only the buttons change: editMessageReplyMarkup, the text left alone.
        buttons = [{"text": "Read", "url": "https://example.com/read"}]
        await client.patch(f"{GUIDES}/{guide['id']}", json={"buttons": buttons})
        markup = await ask(client, run, "edit", request_id="buttons-1")
        # (The other chat's last edit failed: as far as herald knows, it shows the old text.)
        assert [c["detail"] for c in markup["chats"]] == [
            "editMessageReplyMarkup", "editMessageText",
        ]  # fmt: skip
        await drain(runtime)
        shown = telegram.message(CHAT, ids[CHAT])
        assert shown is not None and shown["text"] == "T\n\nNew bold"
        assert shown["reply_markup"]["inline_keyboard"][0][0]["text"] == "Read"
        repeated = await ask(client, run, "edit", request_id="buttons-1")
        assert repeated["queued"] == 0  # the same request id, after it finished


async def test_delete_everywhere_deletes_what_it_may_and_says_why_not_elsewhere(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        guide = (await client.post(GUIDES, json={"title": "T", "body": "B"})).json()
        run = await posted(client, runtime, guide)
        ids = {d["chat_id"]: int(d["message_id"]) for d in run["details"]}
        telegram.age_message(OTHER, ids[OTHER], 49)  # beyond Telegram's 48 hours

        first = await ask(client, run, "delete")
        assert (await ask(client, run, "delete"))["queued"] == 0
        assert first["queued"] == 2
        assert {c["detail"] for c in first["chats"]} == {"deleteMessage"}
        await drain(runtime)
        assert telegram.deleted == [(CHAT, ids[CHAT])]
        assert telegram.message(OTHER, ids[OTHER]) is not None
        run = await run_log(client, run)
        assert actions(run) == {
            CHAT: [("delete", "done", None)],
            OTHER: [("delete", "failed", "400 Bad Request: message can't be deleted")],
        }

        # Asked again: the deleted post is skipped; the other is tried once more.
        again = await ask(client, run, "delete")
        assert [(c["chat_id"], c["status"]) for c in again["chats"]] == [
            (CHAT, "skipped"), (OTHER, "queued"),
        ]  # fmt: skip
        edit = await ask(client, run, "edit")
        assert edit["chats"][0]["detail"] == "the post was deleted"

        missing = await client.post(f"{SCHEDULES}/{run['schedule_id']}/runs/999/delete")
        assert missing.status_code == 404
        await client.delete(f"{GUIDES}/{guide['id']}")
        gone = await client.post(f"{SCHEDULES}/{run['schedule_id']}/runs/{run['id']}/edit")
        assert gone.status_code == 409 and "no longer exists" in gone.json()["detail"]


async def test_an_edit_keeps_each_chat_in_the_ab_variant_it_was_shown(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    promo = {
        "title": "Offer",
        "body": "Base",
        "buttons": [{"text": "Get it"}],
        "alert_text": "Thanks!",
        "variants": [{"body": "Variant one"}, {"body": "Variant two", "labels": ["Go"]}],
    }
    chats = [f"-100{i}" for i in range(1, 7)]
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        created = (await client.post("/api/v1/promos", json=promo)).json()
        body = {"name": "ab", "kind": "playlist", "items": [created["id"]], "chat_ids": chats}
        schedule = (await client.post(SCHEDULES, json=body)).json()
        run = (await client.post(f"{SCHEDULES}/{schedule['id']}/run")).json()
        await drain(runtime)
        shown = {m["text"] for m in telegram.messages}
        assert shown == {"Offer\n\nVariant one", "Offer\n\nVariant two"}

        # Nothing changed: each chat's edit is its own variant again, so none is modified.
        await ask(client, run, "edit")
        await drain(runtime)
        run = await run_log(client, run)
        results = [a for d in run["details"] for a in d["actions"]]
        assert len(results) == len(chats)
        assert all(a["status"] == "done" and "not modified" in a["detail"] for a in results)

        # The test's second variant changes: only the chats shown it change.
        variants = [{"body": "Variant one"}, {"body": "Variant 2!", "labels": ["Go"]}]
        changed = await client.patch(f"/api/v1/promos/{created['id']}", json={"variants": variants})
        assert changed.status_code == 200, changed.text
        await ask(client, run, "edit")
        await drain(runtime)
        assert {m["text"] for m in telegram.edits} == {"Offer\n\nVariant 2!"}


async def test_a_media_posts_caption_and_an_albums_buttons_are_edited_and_all_of_it_deleted(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    button = {"text": "Read", "url": "https://example.com/read"}
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        files = [
            (await client.post("/api/v1/media", files={"file": (f"c{i}.png", png(40 + i, 30))}))
            for i in range(2)
        ]
        photos = [f.json()["id"] for f in files]
        single = {"title": "One", "body": "B", "buttons": [button], "media": photos[:1]}
        album = {"title": "Two", "body": "B", "buttons": [button], "media": photos}
        one = (await client.post(GUIDES, json=single)).json()
        two = (await client.post(GUIDES, json=album)).json()
        runs = {}
        for name, item in (("one", one), ("two", two)):
            body = {"name": name, "kind": "playlist", "items": [item["id"]], "chat_ids": [CHAT]}
            schedule = (await client.post(SCHEDULES, json=body)).json()
            runs[name] = (await client.post(f"{SCHEDULES}/{schedule['id']}/run")).json()
        await drain(runtime)
        runs = {name: await run_log(client, run) for name, run in runs.items()}
        [album_post] = runs["two"]["details"]
        first, _, buttons_message = (m["message_id"] for m in album_post["messages"])

        await client.patch(f"{GUIDES}/{one['id']}", json={"body": "B2"})
        edited = await ask(client, runs["one"], "edit")
        assert edited["chats"][0]["detail"] == "editMessageCaption"
        relabeled = [{"text": "Open", "url": "https://example.com/read"}]
        await client.patch(f"{GUIDES}/{two['id']}", json={"buttons": relabeled})
        edited = await ask(client, runs["two"], "edit")
        assert edited["chats"][0]["detail"] == "editMessageText"  # the buttons' message
        await drain(runtime)
        [photo_message] = [m for m in telegram.edits if "photo" in m]
        assert photo_message["caption"] == "One\n\nB2"
        assert photo_message["reply_markup"]["inline_keyboard"] == [[button]]
        shown = telegram.message(CHAT, buttons_message)
        assert shown is not None and shown["reply_markup"]["inline_keyboard"] == [relabeled]

        # Another file: editMessageMedia, sent by the file_id its first post was given.
        await client.patch(f"{GUIDES}/{one['id']}", json={"media": photos[1:]})
        replaced = await ask(client, runs["one"], "edit")
        assert replaced["chats"][0]["detail"] == "editMessageMedia"
        await drain(runtime)
        [request] = telegram.requests_for("editMessageMedia")
        assert not request.files  # the album's post uploaded it: its file_id is reused
        photo_message = telegram.edits[-1]
        assert photo_message["caption"] == "One\n\nB2" and "photo" in photo_message
        assert actions(await run_log(client, runs["one"]))[CHAT][-1] == ("edit", "done", None)
        fresh = await client.post("/api/v1/media", files={"file": ("new.png", png(90, 60))})
        await client.patch(f"{GUIDES}/{one['id']}", json={"media": [fresh.json()["id"]]})
        await ask(client, runs["one"], "edit")
        await drain(runtime)
        uploaded = telegram.requests_for("editMessageMedia")[-1]
        assert uploaded.files["file0"].data == png(90, 60)  # never sent before: uploaded
        assert actions(await run_log(client, runs["one"]))[CHAT][-1] == ("edit", "done", None)

        # An album's files swapped: each message edited, the caption staying on the first.
        await client.patch(f"{GUIDES}/{two['id']}", json={"media": photos[::-1]})
        swapped = await ask(client, runs["two"], "edit")
        assert swapped["chats"][0]["detail"] == "editMessageMedia, editMessageMedia"
        await drain(runtime)
        shown = telegram.message(CHAT, first)
        assert shown is not None and shown["caption"] == "Two\n\nB"
        assert shown["photo"][-1]["width"] == 41  # the second file (41 px) is first now
        # A file more than the album has cannot be added: refused, nothing queued.
        await client.patch(f"{GUIDES}/{two['id']}", json={"media": [*photos, photos[0]]})
        refused = await client.post(
            f"{SCHEDULES}/{runs['two']['schedule_id']}/runs/{runs['two']['id']}/edit"
        )
        assert refused.status_code == 409 and "would have 3" in refused.json()["detail"]

        deleted = await ask(client, runs["two"], "delete")
        assert deleted["queued"] == 3  # both files and the buttons' message
        await drain(runtime)
        assert sorted(m for _, m in telegram.deleted) == [first, first + 1, buttons_message]
        run = await run_log(client, runs["two"])
        assert [a[:2] for a in actions(run)[CHAT]] == [("edit", "done")] * 3 + [
            ("delete", "done")
        ] * 3


async def test_an_action_whose_delivery_ended_unrecorded_is_finished_by_the_catch_up(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    """A crash between the outcome's commit and the observer leaves the row queued; the
    periodic catch-up reads the delivery and finishes it (here, a failed delete)."""
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        guide = (await client.post(GUIDES, json={"title": "T", "body": "B"})).json()
        run = await posted(client, runtime, guide)
        telegram.age_message(OTHER, int(run["details"][1]["message_id"]), 49)
        await ask(client, run, "delete")
        await drain(runtime)
        a = schedule_post_actions
        async with runtime.db.write() as conn:
            await conn.execute(update(a).values(status="queued", detail=None))
        assert {s for chat in actions(await run_log(client, run)).values() for _, s, _ in chat} == {
            "queued"
        }
        effects = PostingEffects(
            runtime.db, runtime.clock, runtime.schedules, runtime.metrics, runtime.queue
        )
        await effects.maintain()
        assert actions(await run_log(client, run)) == {
            CHAT: [("delete", "done", None)],
            OTHER: [("delete", "failed", "400 Bad Request: message can't be deleted")],
        }
