"""Content with media end to end: ids checked through the API (they exist, the caption
fits 1,024 code points, an album mixes what Telegram mixes), then posted through a
schedule to the fake Bot API as one media message or an album and its buttons."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from herald.clock import FakeClock
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram, bad_request, slow
from tests.support.media_files import gif, pdf, png
from tests.support.telegram_app import telegram_settings

GUIDES = "/api/v1/guides"
SCHEDULES = "/api/v1/schedules"
CHAT = "-1001"
BUTTON = {"text": "Read more", "url": "https://example.com/more"}


async def upload(client: AsyncClient, name: str, data: bytes) -> int:
    created = await client.post("/api/v1/media", files={"file": (name, data)})
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def posted(client: AsyncClient, runtime: Runtime, item_id: int) -> dict[str, Any]:
    """The item posted to CHAT through a playlist schedule; the run as the API reads it."""
    schedule = await client.post(
        SCHEDULES,
        json={"name": f"media-{item_id}", "kind": "playlist", "items": [item_id],
              "chat_ids": [CHAT]},
    )  # fmt: skip
    assert schedule.status_code == 201, schedule.text
    ran = await client.post(f"{SCHEDULES}/{schedule.json()['id']}/run")
    await runtime.worker(exclusive=False).drain()
    done = await client.get(f"{SCHEDULES}/{schedule.json()['id']}/runs/{ran.json()['id']}")
    return dict(done.json())


async def test_one_photo_is_a_captioned_post_with_its_buttons(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        photo = await upload(client, "chart.png", png(800, 600))
        item = await client.post(
            GUIDES,
            json={"title": "Chart 📈", "body": "Support at **1.08**", "format": "markdown",
                  "buttons": [BUTTON], "media": [photo]},
        )  # fmt: skip
        assert item.status_code == 201, item.text
        assert item.json()["media"] == [photo]
        run = await posted(client, runtime, item.json()["id"])

    [sent] = telegram.requests_for("sendPhoto")
    assert sent.files["photo"].data == png(800, 600)
    assert sent.params["caption"] == "Chart 📈\n\nSupport at 1.08"
    assert sent.params["caption_entities"] == [
        {"type": "bold", "offset": 0, "length": 8},  # the title: 📈 is two UTF-16 units
        {"type": "bold", "offset": 21, "length": 4},
    ]
    assert sent.params["reply_markup"] == {"inline_keyboard": [[BUTTON]]}
    assert telegram.requests_for("sendMessage") == []
    [message] = telegram.messages
    assert message["caption"] == "Chart 📈\n\nSupport at 1.08" and "photo" in message
    [post] = run["details"]
    assert post["status"] == "sent"
    assert post["message_id"] == str(message["message_id"])
    assert post["messages"] == [{"message_id": message["message_id"], "media_id": photo}]


async def test_an_album_has_its_caption_first_and_its_buttons_after(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        photos = [await upload(client, f"c{i}.png", png(320, 240, i)) for i in range(3)]
        item = await client.post(
            GUIDES, json={"title": "Three charts", "body": "EURUSD, GBPUSD, USDJPY",
                          "buttons": [BUTTON], "media": photos},
        )  # fmt: skip
        assert item.status_code == 201, item.text
        run = await posted(client, runtime, item.json()["id"])

    [album] = telegram.requests_for("sendMediaGroup")
    items = album.params["media"]
    assert [m["type"] for m in items] == ["photo"] * 3
    assert items[0]["caption"] == "Three charts\n\nEURUSD, GBPUSD, USDJPY"
    assert items[0]["caption_entities"] == [{"type": "bold", "offset": 0, "length": 12}]
    assert all("caption" not in m for m in items[1:])
    assert sorted(album.files) == ["file0", "file1", "file2"]
    [buttons] = telegram.requests_for("sendMessage")
    assert buttons.params["text"] == "Three charts"
    assert buttons.params["reply_markup"] == {"inline_keyboard": [[BUTTON]]}

    shown = telegram.messages
    assert len({m["media_group_id"] for m in shown[:3]}) == 1
    assert shown[3]["text"] == "Three charts" and shown[3]["reply_markup"]
    [post] = run["details"]
    ids = [m["message_id"] for m in shown]
    assert post["message_id"] == str(ids[0])
    assert post["messages"] == [
        *({"message_id": i, "media_id": p} for i, p in zip(ids, photos, strict=False)),
        {"message_id": ids[3], "buttons": True},
    ]


async def test_an_album_without_buttons_is_the_album_alone(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        docs = [await upload(client, f"r{i}.pdf", pdf(i)) for i in range(2)]
        item = await client.post(GUIDES, json={"title": "Reports", "body": "Q3", "media": docs})
        run = await posted(client, runtime, item.json()["id"])
    [album] = telegram.requests_for("sendMediaGroup")
    assert [m["type"] for m in album.params["media"]] == ["document", "document"]
    assert telegram.requests_for("sendMessage") == []
    assert [m["media_id"] for m in run["details"][0]["messages"]] == docs


def refusals(response: Any) -> list[tuple[list[str | int], str]]:
    assert response.status_code == 422, response.text
    return [(e["loc"], e["msg"]) for e in response.json()["detail"]]


async def test_media_telegram_would_refuse_is_refused_naming_the_field(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, _ = api
    photo = await upload(client, "c.png", png(10, 10))
    doc = await upload(client, "r.pdf", pdf())
    anim = await upload(client, "a.gif", gif())
    post = {"title": "T", "body": "B"}

    missing = await client.post(GUIDES, json={**post, "media": [photo, 999_999]})
    assert refusals(missing) == [(["body", "media", 1], "no media 999999 in the library")]
    mixed = await client.post(GUIDES, json={**post, "media": [photo, doc]})
    assert refusals(mixed) == [
        (["body", "media"], "an album holds photos and videos, or documents only")
    ]
    animated = await client.post(GUIDES, json={**post, "media": [photo, anim]})
    assert refusals(animated)[0][0] == ["body", "media"]
    eleven = await client.post(GUIDES, json={**post, "media": [photo] * 11})
    assert refusals(eleven)[0][0] == ["body", "media"]

    # A caption is 1,024 code points as posted (title, blank line, body): an emoji is one.
    fits = "😀" * (1024 - 3)
    exact = await client.post(GUIDES, json={"title": "T", "body": fits, "media": [photo]})
    assert exact.status_code == 201, exact.text
    over = await client.post(GUIDES, json={"title": "T", "body": fits + "x", "media": [photo]})
    [(loc, msg)] = refusals(over)
    assert loc == ["body", "body"] and "the caption would be 1025 characters" in msg
    no_media = await client.post(GUIDES, json={"title": "T", "body": fits + "x"})
    assert no_media.status_code == 201  # as a text it fits 4,096

    item_id = exact.json()["id"]
    longer = await client.patch(f"{GUIDES}/{item_id}", json={"body": fits + "x"})
    assert refusals(longer)[0][0] == ["body", "body"]
    gone = await client.patch(f"{GUIDES}/{item_id}", json={"media": [12345]})
    assert refusals(gone) == [(["body", "media", 0], "no media 12345 in the library")]
    dropped = await client.patch(f"{GUIDES}/{item_id}", json={"media": []})
    assert dropped.json()["media"] == []


async def test_an_albums_pin_is_its_first_message_and_a_delete_removes_them_all(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        photos = [await upload(client, f"c{i}.png", png(64, 64, i)) for i in range(2)]
        item = await client.post(
            GUIDES, json={"title": "Flash", "body": "Gone soon", "buttons": [BUTTON],
                          "media": photos, "options": {"delete_after_hours": 1,
                                                       "pin": {"notify": False}}},
        )  # fmt: skip
        run = await posted(client, runtime, item.json()["id"])
        clock.advance(3601)
        await runtime.worker(exclusive=False).drain()
    ids = [m["message_id"] for m in run["details"][0]["messages"]]
    assert len(ids) == 3  # two photos, the buttons
    assert sorted(m for _, m in telegram.deleted) == sorted(ids)
    pins = [int(r.params["message_id"]) for r in telegram.requests_for("pinChatMessage")]
    assert pins == [ids[0]]


async def run_to(client: AsyncClient, runtime: Runtime, item_id: int, chats: list[str]) -> int:
    """A schedule of the item to ``chats``, run twice; how many posts were sent."""
    schedule = await client.post(
        SCHEDULES,
        json={"name": f"many-{item_id}", "kind": "playlist", "items": [item_id],
              "chat_ids": chats},
    )  # fmt: skip
    sent = 0
    for _ in range(2):
        ran = await client.post(f"{SCHEDULES}/{schedule.json()['id']}/run")
        await runtime.worker(exclusive=False).drain()
        done = await client.get(f"{SCHEDULES}/{schedule.json()['id']}/runs/{ran.json()['id']}")
        sent += done.json()["posted_to"]
    return sent


async def test_a_post_to_forty_chats_uploads_each_file_once(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    chats = [str(-1000 - i) for i in range(40)]
    files = [png(200, 100, 1), png(200, 100, 2), png(200, 100, 3)]
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        ids = [await upload(client, f"c{i}.png", data) for i, data in enumerate(files)]
        one = await client.post(GUIDES, json={"title": "One", "body": "B", "media": ids[:1]})
        album = await client.post(GUIDES, json={"title": "Two", "body": "B", "media": ids[1:]})
        assert await run_to(client, runtime, one.json()["id"], chats) == 80
        assert await run_to(client, runtime, album.json()["id"], chats[:5]) == 10
    assert [telegram.media.uploads_of(data) for data in files] == [1, 1, 1]
    photos = telegram.requests_for("sendPhoto")
    assert len(photos) == 80 and sum(1 for r in photos if r.files) == 1
    # Every later send named the largest size's file_id of the one upload.
    [uploaded] = [r for r in photos if r.files]
    largest = uploaded.answer["result"]["photo"][-1]["file_id"]
    assert {r.params["photo"] for r in photos if not r.files} == {largest}


async def test_a_file_id_telegram_no_longer_knows_is_uploaded_again(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    chart = png(300, 200, 9)
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        photo = await upload(client, "c.png", chart)
        item = await client.post(GUIDES, json={"title": "T", "body": "B", "media": [photo]})
        first = await posted(client, runtime, item.json()["id"])
        telegram.media.files.clear()  # the bot's file_ids are gone (as after a token change)
        schedule = first["schedule_id"]
        ran = await client.post(f"{SCHEDULES}/{schedule}/run")
        await runtime.worker(exclusive=False).drain()
        again = (await client.get(f"{SCHEDULES}/{schedule}/runs/{ran.json()['id']}")).json()
    assert again["details"][0]["status"] == "sent"
    assert telegram.media.uploads_of(chart) == 2
    stale, upload_again = telegram.requests_for("sendPhoto")[1:]
    assert stale.answer["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
    assert upload_again.files and upload_again.status == 200


async def test_a_media_post_follows_a_migrated_group(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    telegram.migrated_chats["-4242"] = -1004242
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        photo = await upload(client, "c.png", png(50, 50, 4))
        item = await client.post(GUIDES, json={"title": "T", "body": "B", "media": [photo]})
        schedule = await client.post(
            SCHEDULES, json={"name": "migrating", "kind": "playlist",
                             "items": [item.json()["id"]], "chat_ids": ["-4242"]},
        )  # fmt: skip
        await client.post(f"{SCHEDULES}/{schedule.json()['id']}/run")
        await runtime.worker(exclusive=False).drain()
        chats = (await client.get(f"{SCHEDULES}/{schedule.json()['id']}")).json()["chats"]
    [message] = telegram.messages
    assert message["chat"]["id"] == -1004242 and "photo" in message
    assert [c["chat_id"] for c in chats] == ["-1004242"]
    assert telegram.media.uploads_of(png(50, 50, 4)) == 1  # the refused send uploaded nothing


async def test_an_album_whose_buttons_fail_is_still_posted_once(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    telegram.script(CHAT, slow(0), bad_request("Bad Request: BUTTON_URL_INVALID"))
    async with serve(telegram_settings(database_url, telegram), clock) as (client, runtime):
        photos = [await upload(client, f"c{i}.png", png(40, 40, 20 + i)) for i in range(2)]
        item = await client.post(
            GUIDES, json={"title": "Pair", "body": "B", "media": photos, "buttons": [BUTTON]}
        )
        run = await posted(client, runtime, item.json()["id"])
    assert len(telegram.requests_for("sendMediaGroup")) == 1  # not sent again
    assert [r.status for r in telegram.requests_for("sendMessage")] == [400]
    [post] = run["details"]
    assert post["status"] == "sent"
    assert [m.get("media_id") for m in post["messages"]] == photos
