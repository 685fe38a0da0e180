"""Markdown content end to end: written through the API, refused there with the field and
the position when malformed or too long (exactly at Telegram's limit it is accepted),
and posted through a schedule to the fake Bot API as text plus entities."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from herald.clock import FakeClock
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.posting import post_now
from tests.support.telegram_app import telegram_settings

GUIDES = "/api/v1/guides"
CHAT = "-1001"
BODY = (
    "**Risk** 🎉 _per_ __trade__: ~~5%~~ ||1%||, see [the guide](https://example.com/risk).\n"
    "> Cut losses `early`.\n"
    ">! The long story\n"
    ">! goes here.\n"
    "```python\n"
    "risk = 0.01 * balance  # **not bold**\n"
    "```\n"
    "Escaped: \\*not bold\\* and a\\_b."
)
SHOWN = (
    "Risk 🎉 per trade: 5% 1%, see the guide.\n"
    "Cut losses early.\n"
    "The long story\n"
    "goes here.\n"
    "risk = 0.01 * balance  # **not bold**\n"
    "Escaped: *not bold* and a_b."
)


def detail(response: Any) -> list[tuple[list[str | int], str]]:
    return [(e["loc"], e["msg"]) for e in response.json()["detail"]]


async def test_markdown_is_posted_as_text_and_entities(
    database_url: str, telegram: FakeTelegram, clock: FakeClock
) -> None:
    settings = telegram_settings(database_url, telegram)
    async with serve(settings, clock) as (client, runtime):
        created = await client.post(
            GUIDES,
            json={"title": "Sizing 📈", "body": BODY, "format": "markdown", "footer": "Stay safe"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["format"] == "markdown"
        assert created.json()["body"] == BODY  # stored as written
        await post_now(client, runtime, created.json()["id"], CHAT)

    [sent] = [r for r in telegram.requests if r.method == "sendMessage"]
    assert "parse_mode" not in sent.params
    [message] = [m for m in telegram.messages if str(m["chat"]["id"]) == CHAT]
    assert message["text"] == f"Sizing 📈\n\n{SHOWN}\n\nStay safe"
    # "Sizing 📈\n\n" is 11 UTF-16 units: the body's entities start there.
    body_entities = [
        ("bold", 0, 4),
        ("italic", 8, 3),
        ("underline", 12, 5),
        ("strikethrough", 19, 2),
        ("spoiler", 22, 2),
        ("text_link", 30, 9),
        ("blockquote", 41, 17),
        ("code", 52, 5),
        ("expandable_blockquote", 59, 25),
        ("pre", 85, 37),
    ]
    assert [(e["type"], e["offset"], e["length"]) for e in message["entities"]] == [
        ("bold", 0, 9),
        *[(kind, offset + 11, length) for kind, offset, length in body_entities],
        ("italic", 11 + len(SHOWN.encode("utf-16-le")) // 2 + 2, 9),
    ]
    by_type = {e["type"]: e for e in message["entities"]}
    assert by_type["text_link"]["url"] == "https://example.com/risk"
    assert by_type["pre"]["language"] == "python"


async def test_malformed_markdown_is_a_422_naming_the_body_and_the_position(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, _ = api
    bad = {"title": "T", "body": "fine\nsee **this", "format": "markdown"}
    refused = await client.post(GUIDES, json=bad)
    assert refused.status_code == 422
    assert detail(refused) == [
        (["body", "body"], "line 2, column 5: ** (bold) is never closed on this line")
    ]
    refused = await client.post(f"{GUIDES}/preview", json={**bad, "body": "[x](javascript:1)"})
    assert refused.status_code == 422
    assert detail(refused)[0][1].startswith("line 1, column 5: a link's url must be http")
    # The same text in plain format is taken as written.
    plain = await client.post(GUIDES, json={**bad, "format": "plain"})
    assert plain.status_code == 201, plain.text
    # Switching an item to markdown checks its body as markdown.
    switched = await client.patch(f"{GUIDES}/{plain.json()['id']}", json={"format": "markdown"})
    assert switched.status_code == 422
    assert detail(switched) == [
        (["body", "body"], "line 2, column 5: ** (bold) is never closed on this line")
    ]
    unknown = await client.post(GUIDES, json={**bad, "format": "html"})
    assert unknown.status_code == 422 and detail(unknown)[0][0] == ["body", "format"]


async def test_exactly_telegrams_limit_is_accepted_and_one_more_refused(
    api: tuple[AsyncClient, Runtime],
) -> None:
    """4,096 code points as posted (emoji and astral characters one each, markers and
    urls not counted): "T\n\n" and a body of 4,093 characters."""
    client, _ = api
    for filler in ("🎉", "\U0001d518", "x"):
        fits = (
            "**" + filler * 4000 + "** [" + filler * 92 + "](https://example.com/" + "p" * 300 + ")"
        )
        made = await client.post(GUIDES, json={"title": "T", "body": fits, "format": "markdown"})
        assert made.status_code == 201, made.text
        preview = (await client.get(f"{GUIDES}/{made.json()['id']}/preview")).json()
        assert len(preview["text"]) == 4096
        assert (
            preview["entities"][-1]["offset"] + preview["entities"][-1]["length"]
            == len(preview["text"].encode("utf-16-le")) // 2
        )
        over = fits.replace("** [", "**  [")
        refused = await client.post(GUIDES, json={"title": "T", "body": over, "format": "markdown"})
        assert refused.status_code == 422
        [(loc, msg)] = detail(refused)
        assert loc == ["body", "body"] and "4097 characters" in msg
        plain = await client.post(GUIDES, json={"title": "T", "body": filler * 4093})
        assert plain.status_code == 201, plain.text
        assert (
            await client.post(GUIDES, json={"title": "T", "body": filler * 4094})
        ).status_code == 422
