"""python-telegram-bot, a published client, against the fake Bot API: PTB builds the
requests (multipart uploads, attach:// albums, JSON entities) and parses the answers
into its objects, so the fake's shapes are judged by a library that is not ours."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from tests.support.fake_telegram import FakeTelegram

GROUP = -1001234567890  # a supergroup


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(telegram.token, base_url=f"{telegram.url}/bot") as client:
        yield client


def png(width: int, height: int, salt: int = 0) -> bytes:
    """A valid PNG of this size (one grey row repeated); ``salt`` changes its bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = (b"\x00" + bytes([salt % 256]) * width) * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def description(telegram: FakeTelegram) -> str:
    """The error description the fake answered the last request with, as on the wire."""
    answer = telegram.requests[-1].answer
    assert answer["ok"] is False and answer["error_code"] == 400
    return str(answer["description"])
