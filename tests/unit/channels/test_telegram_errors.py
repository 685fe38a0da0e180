"""errors: every Bot API answer and every failed call to the outcome it means."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from herald.channels.telegram import errors
from herald.channels.telegram.errors import (
    outcome_for_exception,
    outcome_for_reply,
    refusal,
    scrub,
)
from herald.queue import Permanent, RetryAfter, Transient

TOKEN = "7012345678:AAFakeTokenForHeraldTestsOnly-abcdefgh"


def body(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        answer["parameters"] = parameters
    return answer


@pytest.mark.parametrize(("retry_after", "seconds"), [(5, 5.0), (1.5, 1.5), (0, 0.0)])
def test_retry_after_waits_the_seconds_telegram_asked_for_in_the_chat_scope(
    retry_after: float, seconds: float
) -> None:
    description = f"Too Many Requests: retry after {retry_after}"
    outcome = outcome_for_reply(429, body(429, description, retry_after=retry_after))
    assert isinstance(outcome, RetryAfter)
    assert (outcome.seconds, outcome.scope) == (seconds, "chat")
    assert outcome.error == f"429 {description}"


def test_a_429_without_retry_after_still_waits() -> None:
    outcome = outcome_for_reply(429, body(429, "Too Many Requests"))
    assert isinstance(outcome, RetryAfter) and outcome.seconds == 1.0


@pytest.mark.parametrize(
    ("description", "reason"),
    [
        ("Forbidden: bot was blocked by the user", "blocked"),
        ("Forbidden: bot was kicked from the group chat", "kicked"),
        ("Forbidden: bot was kicked from the supergroup chat", "kicked"),
        ("Forbidden: bot is not a member of the channel chat", "kicked"),
        ("Forbidden: user is deactivated", "deactivated"),
        ("Forbidden: bot can't initiate conversation with a user", "blocked"),
    ],
)
def test_forbidden_is_permanent_with_who_shut_the_door(description: str, reason: str) -> None:
    outcome = outcome_for_reply(403, body(403, description))
    assert outcome == Permanent(error=f"403 {description}", reason=reason)


@pytest.mark.parametrize(
    ("description", "reason"),
    [
        ("Bad Request: chat not found", "chat_not_found"),
        (
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
            "with the preceding '\\'",
            "bad_markup",
        ),
        (
            "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0",
            "bad_markup",
        ),
        ("Bad Request: message is too long", "too_long"),
        ("Bad Request: TOPIC_CLOSED", "topic_closed"),
        ("Bad Request: message thread not found", "topic_not_found"),
        ("Bad Request: message text is empty", "bad_request"),
        ("Bad Request: BUTTON_DATA_INVALID", "bad_request"),
    ],
)
def test_bad_request_is_permanent_with_what_was_wrong(description: str, reason: str) -> None:
    outcome = outcome_for_reply(400, body(400, description))
    assert outcome == Permanent(error=f"400 {description}", reason=reason)


@pytest.mark.parametrize(("status", "description"), [(401, "Unauthorized"), (404, "Not Found")])
def test_a_rejected_token_is_permanent(status: int, description: str) -> None:
    outcome = outcome_for_reply(status, body(status, description))
    assert outcome == Permanent(error=f"{status} {description}", reason="invalid_token")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient_with_or_without_telegrams_json(status: int) -> None:
    with_json = outcome_for_reply(status, body(status, "Bad Gateway"))
    html_page = outcome_for_reply(status, None)
    for outcome in (with_json, html_page):
        assert isinstance(outcome, Transient)
        assert outcome.reason == "server_error"
        assert str(status) in outcome.error


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (TimeoutError(), "timeout"),
        (aiohttp.ServerTimeoutError("Timeout on reading data from socket"), "timeout"),
        (aiohttp.ConnectionTimeoutError(), "timeout"),
        (ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 9)"), "network"),
        (aiohttp.ServerDisconnectedError(), "network"),
        (aiohttp.ClientPayloadError("Response payload is not completed"), "network"),
    ],
)
def test_timeouts_and_network_errors_are_transient(exc: BaseException, reason: str) -> None:
    outcome = outcome_for_exception(exc)
    assert isinstance(outcome, Transient)
    assert outcome.reason == reason
    assert type(exc).__name__ in outcome.error


def test_a_migration_names_the_new_chat_and_is_permanent_if_it_escapes() -> None:
    answer = body(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=-1001234567890,
    )
    error = refusal(400, answer)
    assert error.migrate_to_chat_id == -1001234567890
    assert isinstance(error.outcome, Permanent)
    assert error.outcome.reason == "migrated"
    assert "-1001234567890" in error.outcome.error
    assert refusal(400, body(400, "Bad Request: chat not found")).migrate_to_chat_id is None


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (409, body(409, "Conflict: terminated by other getUpdates request")),
        (418, body(418, "I'm a teapot")),
        (400, None),
        (200, {"ok": True}),  # an ok answer is never a refusal; if it were, retry
    ],
)
def test_anything_else_is_transient_and_unexpected(status: int, answer: Any) -> None:
    outcome = outcome_for_reply(status, answer)
    assert isinstance(outcome, Transient)
    assert outcome.reason == "unexpected"


@pytest.mark.parametrize("exc", [ValueError("boom"), KeyError("k")])
def test_an_unforeseen_exception_is_transient_and_unexpected(exc: Exception) -> None:
    outcome = outcome_for_exception(exc)
    assert isinstance(outcome, Transient)
    assert outcome.reason == "unexpected"
    assert type(exc).__name__ in outcome.error


@pytest.mark.parametrize(
    "make",
    [
        lambda: outcome_for_exception(
            aiohttp.ClientConnectionError(f"https://api.telegram.org/bot{TOKEN}/sendMessage")
        ),
        lambda: outcome_for_exception(RuntimeError(TOKEN)),
        lambda: outcome_for_exception(
            TimeoutError("GET /bot7012345678%3AAAFakeTokenForHeraldTestsOnly-abcdefgh/getMe")
        ),
        lambda: outcome_for_reply(400, body(400, f"Bad Request: something about {TOKEN}")),
        lambda: outcome_for_reply(401, body(401, f"The token `{TOKEN}` was rejected")),
        lambda: outcome_for_reply(429, body(429, f"{TOKEN}", retry_after=1)),
    ],
)
def test_no_error_text_carries_the_token(make: Any) -> None:
    outcome = make()  # scrubbed by shape: no token given
    assert TOKEN not in outcome.error
    assert "AAFakeToken" not in outcome.error
    assert errors.REDACTED in outcome.error


def test_the_given_token_is_scrubbed_even_when_it_has_an_odd_shape() -> None:
    odd = "short:tok"
    outcome = outcome_for_exception(RuntimeError("url /botshort:tok/x"), token=odd)
    assert odd not in outcome.error


def test_scrub_leaves_ordinary_text_alone() -> None:
    text = "Bad Request: chat not found (chat -1001234567890 at 12:30:05)"
    assert scrub(text, TOKEN) == text
