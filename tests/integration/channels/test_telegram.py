"""TelegramSender against the fake Bot API over real HTTP, and the fake itself.

Every error here travels as Telegram's own wire body through our aiohttp client and
the error map, so these tests pin the whole path from status code to outcome.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from herald.channels.telegram import TelegramCallError, TelegramSender
from herald.queue import Delivery, Outcome, Permanent, RetryAfter, Sent, Transient
from tests.support.deliveries import make_delivery
from tests.support.fake_telegram import (
    FakeTelegram,
    MarkupError,
    bad_request,
    forbidden,
    parse_markdown_v2,
    server_error,
    slow,
    too_many_requests,
)
from tests.support.logs import log_lines
from tests.support.ports import free_port

WRONG_TOKEN = "7099999999:AAWrongTokenWrongTokenWrongToken-zyxw"


def delivery(recipient: str = "42", **payload: Any) -> Delivery:
    return make_delivery("telegram", recipient, {"text": "Hello", **payload})


@pytest.fixture
async def sender(telegram: FakeTelegram) -> AsyncIterator[TelegramSender]:
    s = TelegramSender(telegram.token, api_url=telegram.url, request_timeout=2.0)
    try:
        yield s
    finally:
        await s.close()


# -- sending -------------------------------------------------------------------------


async def test_a_message_is_sent_and_its_id_returned(
    telegram: FakeTelegram, sender: TelegramSender
) -> None:
    assert await sender.send(delivery("42", text="Hello \\*world\\*")) == Sent("1")
    assert await sender.send(delivery("42", text="Again")) == Sent("2")
    assert await sender.send(delivery("-1001234567890", text="Group")) == Sent("1")

    assert [r.method for r in telegram.requests] == ["sendMessage"] * 3  # no getMe at start
    first = telegram.requests[0]
    assert (first.method, first.http_method, first.chat_id) == ("sendMessage", "POST", "42")
    assert first.token == telegram.token
    assert first.params["text"] == "Hello \\*world\\*"
    assert first.params["parse_mode"] == "MarkdownV2"  # the default
    assert telegram.messages[0]["text"] == "Hello *world*"  # what the recipient reads
    assert telegram.messages[0]["chat"]["type"] == "private"
    assert telegram.messages[2]["chat"]["type"] == "supergroup"


async def test_an_inline_keyboard_arrives_as_reply_markup(
    telegram: FakeTelegram, sender: TelegramSender
) -> None:
    buttons = [
        [{"text": "Open", "url": "https://example.com/a"}],
        [{"text": "Yes", "callback_data": "vote:yes"}, {"text": "No", "callback_data": "vote:no"}],
    ]
    assert isinstance(await sender.send(delivery("42", buttons=buttons)), Sent)

    expected = {"inline_keyboard": buttons}
    assert telegram.requests[0].params["reply_markup"] == expected
    assert telegram.messages[0]["reply_markup"] == expected


async def test_plain_text_channel_usernames_and_no_link_preview(
    telegram: FakeTelegram, sender: TelegramSender
) -> None:
    payload = {"text": "Price: 1.5 (up!)", "parse_mode": None, "disable_web_page_preview": True}
    assert await sender.send(delivery("@herald_news", **payload)) == Sent("1")

    params = telegram.requests[0].params
    assert "parse_mode" not in params
    assert params["chat_id"] == "@herald_news"
    assert params["link_preview_options"] == {"is_disabled": True}
    assert telegram.messages[0]["chat"]["type"] == "channel"


async def test_entities_go_through_without_a_parse_mode(
    telegram: FakeTelegram, sender: TelegramSender
) -> None:
    entities = [
        {"type": "bold", "offset": 0, "length": 5},  # "Hi 🎉": the emoji is two units
        {"type": "text_link", "offset": 8, "length": 4, "url": "https://example.com"},
    ]
    payload = {"text": "Hi 🎉!\n\ndocs", "parse_mode": None, "entities": entities}
    assert await sender.send(delivery(**payload)) == Sent("1")
    params = telegram.requests[0].params
    assert "parse_mode" not in params
    assert params["entities"] == entities
    assert telegram.messages[0]["text"] == "Hi 🎉!\n\ndocs"


async def test_a_post_queued_in_markdown_v2_before_entities_still_sends_as_before(
    telegram: FakeTelegram, sender: TelegramSender
) -> None:
    old = {"text": "*Title*\n\nBody\\!", "parse_mode": "MarkdownV2"}
    assert await sender.send(delivery(**old)) == Sent("1")
    params = telegram.requests[0].params
    assert (params["parse_mode"], "entities" in params) == ("MarkdownV2", False)
    assert telegram.messages[0]["text"] == "Title\n\nBody!"


@pytest.mark.parametrize(
    "payload",
    [
        {"text": ""},
        {"text": 5},
        {"parse_mode": 1},
        {"buttons": [[{"text": "x"}]]},
        {"buttons": [[{"text": "x", "url": "https://e.com", "callback_data": "y"}]]},
        {"buttons": [[{"text": "x", "callback_data": "y" * 65}]]},
        {"buttons": [{"text": "not a row"}]},
        {"disable_web_page_preview": "yes"},
        {"entities": "bold"},
        {"entities": [["bold"]]},
    ],
)
async def test_a_payload_we_cannot_send_is_refused_without_a_request(
    telegram: FakeTelegram, sender: TelegramSender, payload: dict[str, Any]
) -> None:
    outcome = await sender.send(delivery("42", **payload))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "bad_payload"
    assert telegram.requests == []


async def test_get_me_returns_the_bot_username(
    telegram: FakeTelegram, sender: TelegramSender
) -> None:
    assert await sender.get_me() == "herald_test_bot"
    assert [r.method for r in telegram.requests] == ["getMe"]


async def test_close_releases_the_connection_pool_and_the_log_filters(
    telegram: FakeTelegram,
) -> None:
    client_logger = logging.getLogger("aiohttp.client")
    before = list(client_logger.filters)
    s = TelegramSender(telegram.token, api_url=telegram.url)
    assert await s.send(delivery("42")) == Sent("1")
    assert len(client_logger.filters) == len(before) + 1
    await s.close()
    await s.close()  # twice is fine

    assert client_logger.filters == before
    outcome = await s.send(delivery("42"))  # a closed sender fails softly, never hangs
    assert isinstance(outcome, Transient)
    assert len(telegram.requests) == 1


# -- errors from the wire ------------------------------------------------------------


async def test_flood_control_waits_the_seconds_telegram_asks_for(
    telegram: FakeTelegram, sender: TelegramSender
) -> None:
    telegram.script("42", too_many_requests(7))
    outcome = await sender.send(delivery("42"))
    assert isinstance(outcome, RetryAfter)
    assert (outcome.seconds, outcome.scope) == (7.0, "chat")


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda telegram: telegram.blocked_chats.add("42"), "blocked"),
        (
            lambda telegram: telegram.script("42", forbidden("Forbidden: user is deactivated")),
            "deactivated",
        ),
        (
            lambda telegram: telegram.script(
                "42", forbidden("Forbidden: bot was kicked from the group chat")
            ),
            "kicked",
        ),
        (lambda telegram: telegram.missing_chats.add("42"), "chat_not_found"),
        (
            lambda telegram: telegram.script("42", bad_request("Bad Request: BUTTON_URL_INVALID")),
            "bad_request",
        ),
    ],
)
async def test_refusals_are_permanent_with_a_reason(
    telegram: FakeTelegram, sender: TelegramSender, setup: Any, reason: str
) -> None:
    setup(telegram)
    outcome = await sender.send(delivery("42"))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == reason


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Total: 5.00", "Character '.' is reserved"),
        ("*bold without an end", "Can't find end of Bold entity at byte offset 0"),
    ],
)
async def test_markdown_telegram_cannot_parse_is_bad_markup(
    sender: TelegramSender, text: str, error: str
) -> None:
    outcome = await sender.send(delivery("42", text=text))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "bad_markup"
    assert error.lower() in outcome.error.lower()


async def test_a_message_over_4096_characters_is_too_long(sender: TelegramSender) -> None:
    outcome = await sender.send(delivery("42", text="a" * 4097))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "too_long"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_transient(
    telegram: FakeTelegram, sender: TelegramSender, status: int
) -> None:
    telegram.script("42", server_error(status))
    outcome = await sender.send(delivery("42"))
    assert isinstance(outcome, Transient)
    assert outcome.reason == "server_error"


async def test_a_slow_answer_times_out_as_transient(telegram: FakeTelegram) -> None:
    fast = TelegramSender(telegram.token, api_url=telegram.url, request_timeout=0.2)
    telegram.script("42", slow(5.0))
    started = time.monotonic()
    try:
        outcome = await fast.send(delivery("42"))
    finally:
        await fast.close()
    assert isinstance(outcome, Transient)
    assert outcome.reason == "timeout"
    assert time.monotonic() - started < 1.5


async def test_no_server_is_a_transient_network_error() -> None:
    nowhere = TelegramSender(WRONG_TOKEN, api_url=f"http://127.0.0.1:{free_port()}")
    try:
        outcome = await nowhere.send(delivery("42"))
    finally:
        await nowhere.close()
    assert isinstance(outcome, Transient)
    assert outcome.reason == "network"
    assert "AAWrongToken" not in outcome.error


# -- migration -----------------------------------------------------------------------


async def test_a_migrated_group_gets_the_message_at_its_new_id(
    telegram: FakeTelegram, sender: TelegramSender
) -> None:
    telegram.migrated_chats["-4001"] = -1004001
    outcome = await sender.send(delivery("-4001", text="Hi group"))

    assert outcome == Sent("1", meta={"migrated_to_chat_id": "-1004001"})
    assert [r.chat_id for r in telegram.requests] == ["-4001", "-1004001"]
    assert telegram.messages[0]["chat"] == {
        "id": -1004001,
        "title": "Test supergroup",
        "type": "supergroup",
    }


async def test_a_failed_resend_keeps_its_reason_and_names_the_new_chat(
    telegram: FakeTelegram, sender: TelegramSender
) -> None:
    telegram.migrated_chats["-4001"] = -1004001
    telegram.blocked_chats.add("-1004001")
    outcome = await sender.send(delivery("-4001"))

    assert isinstance(outcome, Permanent)
    assert outcome.reason == "blocked"
    assert "-1004001" in outcome.error
    assert len(telegram.requests) == 2  # resent once, not chased


# -- the token stays secret ----------------------------------------------------------


async def test_a_rejected_token_is_permanent_and_logged_loudly_without_the_token(
    telegram: FakeTelegram, json_logs: pytest.CaptureFixture[str]
) -> None:
    wrong = TelegramSender(WRONG_TOKEN, api_url=telegram.url)
    try:
        outcome = await wrong.send(delivery("42"))
        with pytest.raises(TelegramCallError) as raised:
            await wrong.get_me()
    finally:
        await wrong.close()

    assert outcome == Permanent(error="401 Unauthorized", reason="invalid_token")
    assert raised.value.outcome == outcome
    assert WRONG_TOKEN not in str(raised.value)
    lines = log_lines(json_logs)
    loud = [e for e in lines if e["event"] == "telegram_invalid_token"]
    assert len(loud) == 2
    assert loud[0]["level"] == "error"
    assert all(WRONG_TOKEN not in json.dumps(e) for e in lines)


async def test_the_token_appears_in_no_outcome_and_no_log_line(
    telegram: FakeTelegram, json_logs: pytest.CaptureFixture[str]
) -> None:
    s = TelegramSender(telegram.token, api_url=telegram.url, request_timeout=0.2)
    telegram.migrated_chats["-7"] = -1007
    telegram.blocked_chats.add("1")
    telegram.missing_chats.add("2")
    telegram.script("3", too_many_requests(1))
    telegram.script("4", server_error(502))
    telegram.script("5", slow(5.0))
    outcomes: list[Outcome] = []
    try:
        for recipient in ("1", "2", "3", "4", "5", "-7", "6"):
            outcomes.append(await s.send(delivery(recipient, text="bad.")))
        outcomes.append(await s.send(delivery("6", text="good")))
    finally:
        await s.close()

    assert len({type(o) for o in outcomes}) == 4  # Sent, RetryAfter, Transient, Permanent
    for outcome in outcomes:
        assert telegram.token not in repr(outcome)
    err = json_logs.readouterr().err
    assert telegram.token not in err
    assert telegram.token.split(":")[1] not in err


# -- the fake server itself ----------------------------------------------------------


async def test_fake_enforces_one_message_per_second_per_private_chat() -> None:
    async with FakeTelegram(enforce_limits=True) as telegram:
        s = TelegramSender(telegram.token, api_url=telegram.url)
        try:
            first = await s.send(delivery("42"))
            second = await s.send(delivery("42"))
            other = await s.send(delivery("43"))
        finally:
            await s.close()
    assert (first, other) == (Sent("1"), Sent("1"))
    assert isinstance(second, RetryAfter)
    assert second.seconds == 1.0
    assert telegram.rate_limit_violations == 1


async def test_fake_enforces_group_and_bot_wide_limits_with_telegrams_body() -> None:
    now = [100.0]
    async with FakeTelegram(enforce_limits=True, clock=lambda: now[0]) as telegram:
        send = f"{telegram.url}/bot{telegram.token}/sendMessage"
        async with httpx.AsyncClient() as client:
            group = [
                await client.post(send, json={"chat_id": -100, "text": "x"}) for _ in range(21)
            ]
            now[0] += 60.0
            bot = [await client.post(send, data={"chat_id": i, "text": "x"}) for i in range(1, 32)]
    assert [r.status_code for r in group].count(429) == 1
    assert group[-1].json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 60",
        "parameters": {"retry_after": 60},
    }
    assert [r.status_code for r in bot] == [200] * 30 + [429]
    assert telegram.rate_limit_violations == 2


async def test_fake_answers_unknown_tokens_and_methods_like_telegram(
    telegram: FakeTelegram,
) -> None:
    async with httpx.AsyncClient(base_url=telegram.url) as client:
        unknown = await client.post(f"/bot{WRONG_TOKEN}/getMe")
        missing = await client.get(f"/bot{telegram.token}/noSuchMethod")
        me = await client.get(f"/bot{telegram.token}/getMe")
    assert unknown.status_code == 401
    assert unknown.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert missing.status_code == 404
    assert me.json()["result"]["username"] == "herald_test_bot"


async def test_fake_queues_updates_and_answers_callbacks(telegram: FakeTelegram) -> None:
    first = telegram.push_callback(42, "vote:yes")
    second = telegram.push_update({"message": {"message_id": 9, "text": "/start"}})
    async with httpx.AsyncClient(base_url=f"{telegram.url}/bot{telegram.token}") as client:
        both = (await client.get("/getUpdates")).json()["result"]
        rest = (await client.post("/getUpdates", json={"offset": second["update_id"]})).json()
        query_id = first["callback_query"]["id"]
        answered = await client.post("/answerCallbackQuery", data={"callback_query_id": query_id})
        stale = await client.post("/answerCallbackQuery", data={"callback_query_id": "1"})
        await client.post("/setWebhook", json={"url": "https://example.com/hook"})
        conflict = await client.get("/getUpdates")
        await client.post("/deleteWebhook", data={"drop_pending_updates": "true"})
        empty = (await client.get("/getUpdates", params={"timeout": "0"})).json()

    assert [u["update_id"] for u in both] == [first["update_id"], second["update_id"]]
    assert rest["result"] == [second]
    assert answered.json() == {"ok": True, "result": True}
    assert stale.status_code == 400
    assert telegram.answered_callbacks == [{"callback_query_id": query_id}]
    assert conflict.status_code == 409
    assert empty == {"ok": True, "result": []}


async def test_fake_injects_faults_at_seeded_rates() -> None:
    async with FakeTelegram(server_error_rate=0.5, flood_rate=0.25, seed=7) as telegram:
        s = TelegramSender(telegram.token, api_url=telegram.url)
        try:
            outcomes = [await s.send(delivery(str(i))) for i in range(1, 41)]
        finally:
            await s.close()
    kinds = [type(o).__name__ for o in outcomes]
    assert telegram.faults["server_error"] == kinds.count("Transient") > 0
    assert telegram.faults["flood"] == kinds.count("RetryAfter") > 0
    assert kinds.count("Sent") == 40 - sum(telegram.faults.values()) > 0


async def test_fake_enforces_retry_after_and_records_who_came_too_early() -> None:
    now = [100.0]
    async with FakeTelegram(enforce_retry_after=True, clock=lambda: now[0]) as telegram:
        telegram.script("42", too_many_requests(2))
        send = f"{telegram.url}/bot{telegram.token}/sendMessage"
        async with httpx.AsyncClient() as client:
            flooded = await client.post(send, json={"chat_id": 42, "text": "a"})
            now[0] += 1.5
            early = await client.post(send, json={"chat_id": 42, "text": "b"})
            other = await client.post(send, json={"chat_id": 43, "text": "c"})
            now[0] += 0.5
            on_time = await client.post(send, json={"chat_id": 42, "text": "d"})
    assert [r.status_code for r in (flooded, early, other, on_time)] == [429, 429, 200, 200]
    assert early.json()["parameters"] == {"retry_after": 1}  # what is left, rounded up
    assert [(v.chat_id, v.at, v.until) for v in telegram.retry_after_violations] == [
        ("42", 101.5, 102.0)
    ]


async def test_fake_can_lose_the_answer_of_a_message_it_delivered() -> None:
    async with FakeTelegram(lost_reply_rate=1.0, timeout_delay=2.0) as telegram:
        s = TelegramSender(telegram.token, api_url=telegram.url, request_timeout=0.3)
        try:
            outcome = await s.send(delivery("42", text="there"))
        finally:
            await s.close()
    assert isinstance(outcome, Transient) and outcome.reason == "timeout"
    assert [m["text"] for m in telegram.messages] == ["there"]  # delivered all the same
    assert telegram.faults["lost_reply"] == 1 and telegram.requests[0].fault == "lost_reply"


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        (
            "*bold* _italic_ __underline__ ~strike~ ||spoiler||",
            "bold italic underline strike spoiler",
        ),
        ("[a link](https://example.com/a_(b\\))", "a link"),
        ("`code with * and _`", "code with * and _"),
        ("```python\nprint(1 + 2)\n```", "print(1 + 2)\n"),
        ("> quoted\nnot quoted \\> 1\\.", " quoted\nnot quoted > 1."),
        ("escaped \\_ \\* \\[ \\] \\( \\) \\~ \\` \\# \\+ \\- \\= \\| \\{ \\} \\. \\!", None),
    ],
)
def test_markdown_v2_checker_accepts_valid_text(text: str, plain: str | None) -> None:
    assert parse_markdown_v2(text) == (
        plain if plain is not None else "escaped _ * [ ] ( ) ~ ` # + - = | { } . !"
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a-b", "Character '-' is reserved"),
        ("1 + 1 = 2", "Character '+' is reserved"),
        ("x | y", "Character '|' is reserved"),
        ("hi!", "Character '!' is reserved"),
        ("_open", "Can't find end of Italic entity at byte offset 0"),
        ("é *bold", "Can't find end of Bold entity at byte offset 3"),
        ("[text](https://example.com", "Can't find end of a URL"),
        ("`code", "Can't find end of Code entity"),
    ],
)
def test_markdown_v2_checker_refuses_what_telegram_refuses(text: str, error: str) -> None:
    with pytest.raises(MarkupError, match=error.replace("|", r"\|").replace("+", r"\+")):
        parse_markdown_v2(text)
