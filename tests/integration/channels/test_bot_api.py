"""BotApi (updates, members, callback answers, webhook) against the fake Bot API: the
same aiohttp client and error map as the sends."""

from __future__ import annotations

import pytest

from herald.channels.telegram.client import BotApi
from herald.channels.telegram.errors import TelegramCallError
from herald.queue import Permanent, RetryAfter, Transient
from tests.support.fake_telegram import FakeTelegram, Reply, error_body
from tests.support.ports import free_port


async def test_calls_and_their_answers(telegram: FakeTelegram) -> None:
    api = BotApi(telegram.token, telegram.url)
    try:
        assert await api.username() == telegram.bot_username
        telegram.chat_admins["-1001"] = {5}
        assert await api.is_chat_admin("-1001", 5) is True
        assert await api.is_chat_admin("-1001", 6) is False
        query = telegram.push_callback(1, "c1:1:0:x")["callback_query"]
        await api.answer_callback(query["id"], text="thanks", show_alert=True)
        assert telegram.answered_callbacks[-1]["text"] == "thanks"
        await api.set_webhook("https://herald.example.com/telegram/webhook", "s3cret")
        assert telegram.webhook is not None and telegram.webhook["secret_token"] == "s3cret"
        await api.delete_webhook()
        assert telegram.webhook is None
    finally:
        await api.close()


async def test_telegram_errors_map_to_outcomes(telegram: FakeTelegram) -> None:
    api = BotApi(telegram.token, telegram.url)
    try:
        with pytest.raises(TelegramCallError) as old:
            await api.answer_callback("123", text="late")
        assert isinstance(old.value.outcome, Permanent)
        assert "query is too old" in old.value.outcome.error.lower()
        telegram.missing_chats.add("-1009")
        with pytest.raises(TelegramCallError) as missing:
            await api.is_chat_admin("-1009", 5)
        assert getattr(missing.value.outcome, "reason", None) == "chat_not_found"
        telegram._methods["answercallbackquery"] = _flooded
        query = telegram.push_callback(1, "x")["callback_query"]
        with pytest.raises(TelegramCallError) as flooded:
            await api.answer_callback(query["id"], text="x")
        assert isinstance(flooded.value.outcome, RetryAfter)
        assert flooded.value.outcome.seconds == 7
    finally:
        await api.close()


async def _flooded(_token: str, _params: dict[str, object]) -> tuple[int, dict[str, object]]:
    reply = Reply(429, error_body(429, "Too Many Requests: retry after 7", retry_after=7))
    assert reply.body is not None
    return reply.status, reply.body


async def test_an_unreachable_server_is_transient_and_never_shows_the_token() -> None:
    token = "7012345678:AAFakeTokenForHeraldTestsOnly-abcdefgh"
    api = BotApi(token, f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(TelegramCallError) as down:
            await api.answer_callback("1", text="x")
        assert isinstance(down.value.outcome, Transient)
        assert token not in str(down.value) and token.split(":")[1] not in str(down.value)
    finally:
        await api.close()
