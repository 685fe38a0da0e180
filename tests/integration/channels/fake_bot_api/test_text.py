"""Text and entities as Telegram checks them: UTF-16 offsets, code-point limits."""

from __future__ import annotations

import pytest
from telegram import Bot, MessageEntity
from telegram.error import BadRequest

from tests.integration.channels.fake_bot_api.conftest import GROUP, description
from tests.support.fake_telegram import FakeTelegram

EMOJI = "😀"  # one code point, two UTF-16 units


async def test_entities_count_utf16_units(bot: Bot, telegram: FakeTelegram) -> None:
    text = f"{EMOJI} bold and a link"
    entities = [
        MessageEntity("bold", 3, 4),
        MessageEntity("text_link", 14, 4, url="https://example.com"),
        MessageEntity("italic", 8, 0),  # zero length: dropped without a word
    ]
    sent = await bot.send_message(GROUP, text, entities=entities)
    assert sent.text == text
    assert sent.entities == tuple(entities[:2])
    assert sent.parse_entities() == {entities[0]: "bold", entities[1]: "link"}
    shown = telegram.message(GROUP, sent.message_id)
    assert shown is not None and [e["type"] for e in shown["entities"]] == ["bold", "text_link"]


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        (
            MessageEntity("bold", 9, 1),
            "entity begins after the end of the text at UTF-16 offset 9",
        ),
        (
            MessageEntity("bold", 3, 6),
            "entity beginning at UTF-16 offset 3 ends after the end of the text at UTF-16 offset 9",
        ),
        (
            MessageEntity("bold", 1, 2),
            "entity begins in a middle of a UTF-16 symbol at byte offset 4",
        ),
        (
            MessageEntity("bold", 0, 1),
            "entity beginning at UTF-16 offset 0 ends in a middle of a UTF-16 symbol at byte "
            "offset 4",
        ),
        (MessageEntity("bold", -1, 2), "receive an entity with incorrect offset -1"),
    ],
)
async def test_entities_that_do_not_fit_are_refused(
    bot: Bot, telegram: FakeTelegram, entity: MessageEntity, expected: str
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP, f"{EMOJI} bold", entities=[entity])  # 7 units
    assert description(telegram) == f"Bad Request: {expected}"


async def test_parse_mode_wins_over_entities(bot: Bot) -> None:
    sent = await bot.send_message(
        GROUP, "*bold* \\. _it_", parse_mode="MarkdownV2", entities=[MessageEntity("code", 0, 2)]
    )
    assert sent.text == "bold . it"
    assert sent.entities == (MessageEntity("bold", 0, 4), MessageEntity("italic", 7, 2))


async def test_html_is_parsed_as_telegram_parses_it(bot: Bot, telegram: FakeTelegram) -> None:
    sent = await bot.send_message(
        GROUP,
        '<b>BTC</b> &lt;3 <a href="https://x.example/?a=1&amp;b=2">chart</a> '
        '<pre><code class="language-py">x = 1</code></pre>',
        parse_mode="HTML",
    )
    assert sent.text == "BTC <3 chart x = 1"
    assert sent.entities == (
        MessageEntity("bold", 0, 3),
        MessageEntity("text_link", 7, 5, url="https://x.example/?a=1&b=2"),
        MessageEntity("pre", 13, 5, language="py"),
    )
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP, "<b>x</i>", parse_mode="HTML")
    assert description(telegram) == (
        'Bad Request: can\'t parse entities: Unmatched end tag at byte offset 4, expected "</b>", '
        'found "</i>"'
    )


async def test_limits_count_code_points_after_parsing(bot: Bot, telegram: FakeTelegram) -> None:
    longest = EMOJI * 4096  # 8,192 UTF-16 units, 4,096 characters: fits
    sent = await bot.send_message(GROUP, longest, entities=[MessageEntity("bold", 8190, 2)])
    assert sent.text == longest
    marked = "*" + "a" * 4096 + "*"  # 4,098 characters sent, 4,096 after parsing
    assert (await bot.send_message(GROUP, marked, parse_mode="MarkdownV2")).text == "a" * 4096
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP, longest + "a")
    assert description(telegram) == "Bad Request: message is too long"

    caption = await bot.send_photo(GROUP, "https://cdn.example.com/a.jpg", caption=EMOJI * 1024)
    assert caption.caption == EMOJI * 1024
    with pytest.raises(BadRequest):
        await bot.send_photo(GROUP, "https://cdn.example.com/a.jpg", caption="a" * 1025)
    assert description(telegram) == "Bad Request: message caption is too long"


async def test_empty_texts(bot: Bot, telegram: FakeTelegram) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP, "")
    assert description(telegram) == "Bad Request: message text is empty"
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP, " \n ")
    assert description(telegram) == "Bad Request: text must be non-empty"
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP, "*bold", parse_mode="MarkdownV2")
    assert description(telegram) == (
        "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0"
    )
