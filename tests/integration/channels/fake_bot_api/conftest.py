"""python-telegram-bot, a published client, against the fake Bot API: PTB builds the
requests (multipart uploads, attach:// albums, JSON entities) and parses the answers
into its objects, so the fake's shapes are judged by a library that is not ours."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from tests.support.fake_telegram import FakeTelegram

GROUP = -1001234567890  # a supergroup


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(telegram.token, base_url=f"{telegram.url}/bot") as client:
        yield client


def description(telegram: FakeTelegram) -> str:
    """The error description the fake answered the last request with, as on the wire."""
    answer = telegram.requests[-1].answer
    assert answer["ok"] is False and answer["error_code"] == 400
    return str(answer["description"])
