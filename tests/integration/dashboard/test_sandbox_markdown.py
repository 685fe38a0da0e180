"""A markdown post in the sandbox inbox (dev mode, no bot token) is drawn from its
entities as the Telegram app shows it."""

from __future__ import annotations

from herald.auth import Role
from herald.clock import FakeClock
from herald.config import load_settings
from herald.scheduling.defaults import SANDBOX_DEMO_CHAT
from tests.support.app import serve
from tests.support.dashboard import sign_in
from tests.support.posting import post_now

BODY = "**Risk** ||1%|| ~~5%~~ __per__ _trade_\n> cut `early`\n[guide](https://example.com/g)"


async def test_a_markdown_post_is_drawn_from_its_entities(
    database_url: str, clock: FakeClock
) -> None:
    settings = load_settings(env="dev", database_url=database_url)
    async with serve(settings, clock=clock) as (client, runtime):
        guide = await client.post(
            "/api/v1/guides", json={"title": "Sizing 📈", "body": BODY, "format": "markdown"}
        )
        assert guide.status_code == 201, guide.text
        await post_now(client, runtime, guide.json()["id"], SANDBOX_DEMO_CHAT)

        _, key = await runtime.api_keys.create("viewer", Role.VIEWER)
        del client.headers["Authorization"]
        assert (await sign_in(client, key)).status_code == 303
        inbox = await client.get("/sandbox?channel=telegram")
    assert inbox.status_code == 200
    assert (
        "<b>Sizing 📈</b><br><br><b>Risk</b> <tg-spoiler>1%</tg-spoiler> <s>5%</s> <u>per</u> "
        "<i>trade</i><br><blockquote>cut <code>early</code></blockquote><br>"
        '<a href="https://example.com/g" rel="noopener noreferrer">guide</a>'
    ) in inbox.text
