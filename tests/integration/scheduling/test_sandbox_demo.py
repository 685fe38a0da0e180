"""Dev mode without a bot token: the default schedules post to the sandbox demo chat,
so the first guide and promo are in the sandbox inbox at once; with a token, or in
prod, the demo chat is not there (and is taken out of an install that had it)."""

from __future__ import annotations

from herald.channels.sandbox import read_inbox
from herald.clock import FakeClock
from herald.config import Settings, load_settings
from herald.db import migrate
from herald.runtime import Runtime
from herald.scheduling.defaults import SANDBOX_DEMO_CHAT, install_defaults
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_app import telegram_settings


async def start(settings: Settings, clock: FakeClock) -> Runtime:
    runtime = Runtime.build(settings, clock=clock)
    await migrate.upgrade(runtime.db)
    await install_defaults(settings, runtime.db, runtime.content, runtime.schedules)
    return runtime


async def chats_of_defaults(runtime: Runtime) -> dict[str, list[str]]:
    return {s.name: [c.chat_id for c in s.chats] for s in await runtime.schedules.all()}


async def test_dev_without_a_token_posts_the_first_guide_and_promo_to_the_demo_chat(
    database_url: str, clock: FakeClock
) -> None:
    runtime = await start(load_settings(env="dev", database_url=database_url), clock)
    try:
        assert await chats_of_defaults(runtime) == {
            "guides": [SANDBOX_DEMO_CHAT],
            "promos": [SANDBOX_DEMO_CHAT],
        }
        for schedule in await runtime.schedules.all():
            result = await runtime.runner.run_due(schedule.id)  # the slot of post_on_start
            assert result is not None and result.status == "queued"
        await runtime.worker(exclusive=False).drain()
        inbox = await read_inbox(runtime.db, channel="telegram")
        assert {m["recipient"] for m in inbox} == {SANDBOX_DEMO_CHAT}
        first_lines = sorted(m["payload"]["text"].split("\n")[0] for m in inbox)
        assert len(first_lines) == 2
        assert any("Trading Fundamentals" in line for line in first_lines)
        assert any("Premium Signals" in line for line in first_lines)
        promo = next(m["payload"] for m in inbox if "Premium" in m["payload"]["text"])
        assert "callback_data" in promo["buttons"][0][0]  # a tracked button to press
    finally:
        await runtime.close()


async def test_a_token_or_prod_leaves_the_demo_chat_out(
    database_url: str, clock: FakeClock, telegram: FakeTelegram
) -> None:
    dev = await start(load_settings(env="dev", database_url=database_url), clock)
    await dev.close()
    with_token = await start(
        telegram_settings(database_url, telegram, guide_chat_ids="-1001"), clock
    )
    try:
        assert await chats_of_defaults(with_token) == {"guides": ["-1001"], "promos": []}
    finally:
        await with_token.close()
    prod = load_settings(env="prod", database_url=database_url, secret_key="k" * 40)
    runtime = await start(prod, clock)
    try:
        assert await chats_of_defaults(runtime) == {"guides": ["-1001"], "promos": []}
    finally:
        await runtime.close()
