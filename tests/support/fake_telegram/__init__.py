"""A fake Telegram Bot API: a real HTTP server on loopback that answers like Telegram.

The sender's tests go through herald's aiohttp client to this server, so what is tested
is the real wire: Telegram's status codes and exact error bodies (with their
``parameters``), JSON or form-encoded requests, timeouts that really time out. Controls make a
chat blocked, missing or migrated, script a chat's next answers, inject faults at seeded
random rates (5xx, timeouts before or after the message was processed, 429 floods),
enforce Telegram's documented flood limits (30/s per bot, 1,000/s for paid broadcasts,
1/s per private chat, 20/min per group) and the ``retry_after`` of every 429 it
answered (a request that comes too early is a violation). Every request is recorded,
with its multipart files and the body it was answered with.

Beyond text it speaks rich posts as Telegram does (tests/integration/channels/
fake_bot_api/ holds it to python-telegram-bot): photos, videos, animations, documents
and albums by upload, file_id or URL (``media`` counts uploads), the edit methods,
deleteMessage within 48 hours (``age_message``), pins, forum topics (``make_forum``),
entities checked in UTF-16 units with limits in code points, getChatMemberCount and
``my_chat_member`` / ``chat_member`` updates. ``message(chat, id)`` is what a chat shows.
Modules: server (state, the route, the send gate), sending, editing, updates, members,
media, entities, markdown_v2, html, wire, replies, limits.

    async with FakeTelegram() as tg:
        sender = TelegramSender(tg.token, api_url=tg.url)
"""

from __future__ import annotations

from tests.support.fake_telegram.limits import Limits, Violation
from tests.support.fake_telegram.markdown_v2 import MarkupError, parse_markdown_v2
from tests.support.fake_telegram.media import Upload, UploadedFile
from tests.support.fake_telegram.replies import (
    Body,
    Refused,
    Reply,
    bad_request,
    error_body,
    forbidden,
    migrated,
    ok,
    server_error,
    slow,
    too_many_requests,
)
from tests.support.fake_telegram.server import DEFAULT_TOKEN, FakeTelegram, Handler
from tests.support.fake_telegram.wire import RecordedRequest

__all__ = [
    "DEFAULT_TOKEN",
    "Body",
    "FakeTelegram",
    "Handler",
    "Limits",
    "MarkupError",
    "RecordedRequest",
    "Refused",
    "Reply",
    "Upload",
    "UploadedFile",
    "Violation",
    "bad_request",
    "error_body",
    "forbidden",
    "migrated",
    "ok",
    "parse_markdown_v2",
    "server_error",
    "slow",
    "too_many_requests",
]
