"""Bad input at the Telegram webhook: whatever the body, a 200 and a log line.

Telegram retries a non-2xx answer for hours and holds every later update behind it,
so an update that is malformed, oversized or of an unknown shape must be answered 200,
and logged so that it is not lost silently. Only a wrong or missing secret is refused
(401; tests/integration/scheduling/test_bot_commands.py covers it, with not-JSON, a
JSON array, an unsupported update, a non-string text and bodies over 1 MiB).
Also: nothing in a press can poison the batched click writer for the presses after it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from herald.db.tables import clicks
from herald.runtime import Runtime
from herald.scheduling.content import Kind
from tests.support.app import serve
from tests.support.fake_telegram import FakeTelegram
from tests.support.logs import log_lines
from tests.support.telegram_app import WEBHOOK_SECRET, telegram_settings

GROUP = -1001234567890
HOOK = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
# Every way an update may end: each is logged with one of these events.
LOGGED = {"telegram_update_ignored", "telegram_update_failed", "callback_rejected", "bot_command"}


@pytest.fixture
async def hook(
    database_url: str, telegram: FakeTelegram
) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    settings = telegram_settings(database_url, telegram, telegram_updates="webhook")
    async with serve(settings) as pair:
        yield pair


def nested(depth: int) -> bytes:
    return b'{"update_id": 1, "message": ' + b"[" * depth + b"]" * depth + b"}"


BODIES: dict[str, tuple[bytes, str]] = {
    # The body itself.
    "empty": (b"", "ignored:not_json"),
    "not UTF-8": (b'{"update_id": 1, "message": {"text": "\xff\xfe"}}', "ignored:not_json"),
    "nested past the parser's recursion limit": (b"[" * 100_000, "ignored:not_json"),
    "a 5,000-digit number": (b'{"update_id": ' + b"9" * 5000 + b"}", "ignored:not_json"),
    "NaN": (b"NaN", "ignored:malformed"),
    "a string": (b'"update"', "ignored:malformed"),
    "null": (b"null", "ignored:malformed"),
    "an object without update_id": (b'{"message": {"text": "/status"}}', "ignored:malformed"),
    "update_id a string": (b'{"update_id": "1"}', "ignored:malformed"),
    "update_id infinite": (b'{"update_id": 1e999}', "ignored:malformed"),
    # Update types herald does not handle, and unknown fields.
    "only unknown fields": (
        b'{"update_id": 1, "future_field": {"x": [1, 2]}}',
        "ignored:unsupported",
    ),
    # Membership updates herald reads, without the fields it needs.
    "my_chat_member without members": (
        b'{"update_id": 1, "my_chat_member": {"chat": {"id": 5}}}',
        "ignored:malformed",
    ),
    "chat_member without an invite link": (
        b'{"update_id": 1, "chat_member": {"chat": {"id": 5}}}',
        "ignored:not_a_join",
    ),
    "message_reaction": (b'{"update_id": 1, "message_reaction": {}}', "ignored:unsupported"),
    "message a list": (b'{"update_id": 1, "message": [1, 2]}', "ignored:unsupported"),
    "deeply nested message": (nested(500), "ignored:unsupported"),
    # Messages without a usable text.
    "message with no text": (
        b'{"update_id": 1, "message": {"message_id": 1, "chat": {"id": 5, "type": "private"},'
        b' "photo": [{"file_id": "x", "width": 1, "height": 1}]}}',
        "ignored:not_a_command",
    ),
    "message with no chat": (
        b'{"update_id": 1, "message": {"message_id": 1, "text": "/start_marketing"}}',
        "ignored:",
    ),
    "command with a chat of the wrong type": (
        b'{"update_id": 1, "message": {"message_id": 1, "text": "/status", "chat": "5"}}',
        "ignored:",
    ),
    "text with a lone surrogate": (
        b'{"update_id": 1, "message": {"message_id": 1, "text": "/status \\ud800",'
        b' "chat": {"id": 5, "type": "private"}, "from": {"id": 5}}}',
        "",  # whatever it is handled as, it is answered and logged
    ),
    "entities of the wrong shape": (
        b'{"update_id": 1, "message": {"message_id": 1, "text": "/status", "chat": {"id": 5},'
        b' "entities": [{"type": "bot_command", "offset": "a", "length": null}, 7]}}',
        "",
    ),
    # Callback queries with fields missing or of the wrong type.
    "callback_query empty": (b'{"update_id": 1, "callback_query": {}}', "callback:rejected"),
    "callback_query without data": (
        b'{"update_id": 1, "callback_query": {"id": "7", "from": {"id": 5}}}',
        "callback:rejected",
    ),
    "callback data a number": (
        b'{"update_id": 1, "callback_query": {"id": "7", "data": 12}}',
        "callback:rejected",
    ),
    "callback data a list": (
        b'{"update_id": 1, "callback_query": {"id": 7, "data": ["c1", 1]}}',
        "callback:rejected",
    ),
    "callback_query a string": (
        b'{"update_id": 1, "callback_query": "press"}',
        "ignored:unsupported",
    ),
}


async def test_any_body_is_answered_200_and_logged(
    hook: tuple[AsyncClient, Runtime], json_logs: pytest.CaptureFixture[str]
) -> None:
    client, _ = hook
    log_lines(json_logs)  # what start-up logged
    wrong: list[str] = []
    for name, (content, handled) in BODIES.items():  # one app for all: start-up is slow
        response = await client.post("/telegram/webhook", content=content, headers=HOOK)
        events = [e for e in log_lines(json_logs) if e["event"] in LOGGED]
        if response.status_code != 200:
            wrong.append(f"{name}: {response.status_code} {response.text[:200]}")
            continue
        answer = response.json()
        shown = answer.get("handled") or response.headers.get("X-Herald-Handled", "")
        if not shown.startswith(handled):
            wrong.append(f"{name}: handled as {shown!r}, not {handled!r}")
        if answer.get("method") == "answerCallbackQuery" and not answer["text"]:
            wrong.append(f"{name}: answered with no text")  # a press is always answered
        if not events:
            wrong.append(f"{name}: no log line")
    assert not wrong, "\n".join(wrong)


async def test_a_press_with_odd_fields_does_not_poison_the_click_writer(
    hook: tuple[AsyncClient, Runtime], telegram: FakeTelegram
) -> None:
    """Clicks are written in batches: one row the database refuses (an id past 64 bits,
    a lone surrogate) would fail its whole batch, and every batch after it, forever."""
    client, runtime = hook
    [promo, *_] = await runtime.content.all(Kind.PROMO)
    data = runtime.signer.sign(promo.id, 0)
    odd = telegram.push_callback(GROUP, data, user_id=1)
    query = odd["callback_query"]
    query["from"] = {"id": 2**70, "username": "bad\ud800name", "is_bot": False}
    query["message"] = {"message_id": 2**64, "chat": {"id": -(2**80), "type": "group"}}
    query["chat_instance"] = "x\x00y"  # PostgreSQL refuses NUL in text and JSON
    query["inline_message_id"] = {"nested": ["a", 1]}
    query["game_short_name"] = "\udfff"
    body = json.dumps(odd)  # \ud800 escapes, as Telegram's JSON could carry them
    answer = await client.post("/telegram/webhook", content=body, headers=HOOK)
    assert (answer.status_code, answer.json()["method"]) == (200, "answerCallbackQuery")

    plain = telegram.push_callback(GROUP, data, user_id=777, username="trader")
    answer = await client.post("/telegram/webhook", json=plain, headers=HOOK)
    assert answer.headers["X-Herald-Handled"] == "callback:clicked"
    await runtime.clicks.flush()
    async with runtime.db.read() as conn:
        rows = (await conn.execute(select(clicks).order_by(clicks.c.id))).all()
    assert [(r.telegram_user_id, r.username) for r in rows] == [(None, None), (777, "trader")]
    assert rows[0].promo_id == promo.id  # the odd press still counts, without the odd parts


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
update_shaped = st.fixed_dictionaries(
    {"update_id": st.integers(min_value=0, max_value=2**31)},
    optional={
        "message": st.dictionaries(
            st.sampled_from(["message_id", "text", "chat", "from", "entities", "sender_chat"]),
            json_values | st.sampled_from(["/status", "/start x", "/stop_guides@bot"]),
        ),
        "callback_query": st.dictionaries(
            st.sampled_from(["id", "data", "from", "message", "chat_instance"]), json_values
        ),
        "channel_post": json_values,
        "edited_message": json_values,
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(update=update_shaped | json_values)
async def test_generated_updates_are_always_answered_200(
    hook: tuple[AsyncClient, Runtime], update: Any
) -> None:
    client, _ = hook
    body = json.dumps(update, allow_nan=True)
    response = await client.post("/telegram/webhook", content=body, headers=HOOK)
    assert response.status_code == 200, (body, response.text)
