"""Media sends: uploads, file_ids, URLs, captions and albums."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    MessageEntity,
)
from telegram.error import BadRequest

from tests.integration.channels.fake_bot_api.conftest import GROUP, description
from tests.support.fake_telegram import FakeTelegram
from tests.support.media_files import png


async def test_a_photo_upload_and_its_file_id(
    bot: Bot, telegram: FakeTelegram, tmp_path: Path
) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(png(2560, 1440))
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Open", url="https://example.com")]])
    with chart.open("rb") as file:
        sent = await bot.send_photo(
            GROUP,
            file,
            caption="📈 BTC up",
            caption_entities=[MessageEntity("bold", 3, 3)],  # the emoji is two UTF-16 units
            reply_markup=keyboard,
            protect_content=True,
            disable_notification=True,
        )
    thumb, largest = sent.photo
    assert (largest.width, largest.height) == (1280, 720)  # scaled as Telegram scales
    assert max(thumb.width, thumb.height) == 90
    assert sent.caption == "📈 BTC up"
    assert sent.caption_entities == (MessageEntity("bold", 3, 3),)
    assert sent.reply_markup == keyboard
    assert sent.has_protected_content is True
    [request] = telegram.requests_for("sendPhoto")
    assert request.files["photo"].filename == "chart.png"
    assert request.params["disable_notification"] in ("True", "true", True)

    again = await bot.send_photo(GROUP + 1, largest.file_id)  # reused: no bytes sent
    assert again.photo[-1].file_unique_id == largest.file_unique_id
    reuploaded = await bot.send_photo(GROUP, chart.read_bytes())
    assert reuploaded.photo[-1].file_unique_id == largest.file_unique_id
    assert reuploaded.photo[-1].file_id != largest.file_id
    assert telegram.media.uploads_of(chart.read_bytes()) == 2
    assert len(telegram.media.uploads) == 2


async def test_video_animation_and_document_by_upload_and_by_url(bot: Bot) -> None:
    video = await bot.send_video(GROUP, b"\x00\x00\x00\x18ftypmp42" + b"v" * 64)
    assert video.video is not None and video.video.file_unique_id
    assert video.video.width > 0 and video.video.to_dict()["duration"] >= 1
    animation = await bot.send_animation(GROUP, "https://cdn.example.com/promo.gif")
    assert animation.animation is not None
    assert animation.animation.file_name == "promo.gif"
    assert animation.document is not None  # the Bot API sets both for an animation
    assert animation.document.file_id == animation.animation.file_id
    document = await bot.send_document(
        GROUP, b"%PDF-1.7 guide", filename="guide.pdf", caption="The guide"
    )
    assert document.document is not None and document.document.file_name == "guide.pdf"
    assert document.caption == "The guide"


@pytest.mark.parametrize(
    "media", ["https://bad.invalid/x.png", "AgACAgIAAxkBAAIBnotIssuedByTheFake", "ftp://a.b/c"]
)
async def test_a_file_telegram_cannot_get_is_refused(
    bot: Bot, telegram: FakeTelegram, media: str
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_photo(GROUP, media)
    assert description(telegram) == "Bad Request: wrong file identifier/HTTP URL specified"


async def test_a_send_without_its_file_names_what_is_missing(telegram: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{telegram.url}/bot{telegram.token}/sendVideo"
        async with http.post(url, json={"chat_id": GROUP}) as answer:
            body = await answer.json()
    assert body["description"] == "Bad Request: there is no video in the request"


async def test_aiohttp_multipart_as_herald_sends_it(telegram: FakeTelegram) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(GROUP))
    form.add_field("caption", "*Chart*", content_type="text/plain")
    form.add_field("parse_mode", "MarkdownV2")
    form.add_field("photo", png(800, 600), filename="c.png", content_type="image/png")
    async with aiohttp.ClientSession() as http:
        url = f"{telegram.url}/bot{telegram.token}/SENDPHOTO"  # method names ignore case
        async with http.post(url, data=form) as answer:
            body = await answer.json()
    assert body["ok"] is True
    message = body["result"]
    assert message["photo"][-1]["width"] == 800 and message["photo"][-1]["height"] == 600
    assert message["caption"] == "Chart"
    assert message["caption_entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert telegram.messages[-1] is telegram.message(GROUP, message["message_id"])


async def test_an_album_shares_a_media_group_id_and_carries_no_keyboard(
    bot: Bot, telegram: FakeTelegram
) -> None:
    album = await bot.send_media_group(
        GROUP,
        [
            InputMediaPhoto(png(100, 50, 1), caption="one 😀", filename="a.png"),
            InputMediaPhoto(png(100, 50, 2), filename="b.png"),
            InputMediaPhoto("https://cdn.example.com/c.jpg"),
        ],
    )
    assert len(album) == 3
    assert len({m.media_group_id for m in album}) == 1 and album[0].media_group_id
    assert album[0].caption == "one 😀" and album[1].caption is None
    assert [m.message_id for m in album] == [1, 2, 3]
    [request] = telegram.requests_for("sendMediaGroup")
    assert sorted(request.files) == sorted(
        m["media"].removeprefix("attach://") for m in request.params["media"][:2]
    )
    assert len(telegram.media.uploads) == 2
    keyboard = {"inline_keyboard": [[{"text": "x", "url": "https://example.com"}]]}
    raw = await _call(telegram, "sendMediaGroup", media=_photos(2), reply_markup=keyboard)
    assert all("reply_markup" not in m for m in raw["result"])


async def test_album_sizes_telegram_refuses(bot: Bot, telegram: FakeTelegram) -> None:
    empty = await _call(telegram, "sendMediaGroup", media=[])
    assert empty["description"] == "Bad Request: there are no messages to send"
    with pytest.raises(BadRequest):
        await bot.send_media_group(
            GROUP, [InputMediaDocument(f"https://cdn.example.com/{i}.pdf") for i in range(11)]
        )
    assert description(telegram) == "Bad Request: too many messages to send as an album"
    single = await _call(telegram, "sendMediaGroup", media=_photos(1))
    assert "media_group_id" not in single["result"][0]


async def _call(telegram: FakeTelegram, method: str, **params: object) -> dict[str, object]:
    async with aiohttp.ClientSession() as http:
        url = f"{telegram.url}/bot{telegram.token}/{method}"
        async with http.post(url, json={"chat_id": GROUP, **params}) as answer:
            return dict(await answer.json())


def _photos(count: int) -> list[dict[str, str]]:
    return [{"type": "photo", "media": f"https://cdn.example.com/{i}.jpg"} for i in range(count)]
