"""errors.outcome_for: every python-telegram-bot exception to the outcome it means."""

from __future__ import annotations

import warnings
from datetime import timedelta

import pytest
from telegram import error as tg
from telegram.warnings import PTBDeprecationWarning

from herald.channels.telegram import errors
from herald.channels.telegram.errors import outcome_for, scrub
from herald.queue import Permanent, RetryAfter, Transient

TOKEN = "7012345678:AAFakeTokenForHeraldTestsOnly-abcdefgh"

# python-telegram-bot's RetryAfter warns about its own deprecated int while it is built.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.mark.parametrize(
    ("retry_after", "seconds"), [(5, 5.0), (timedelta(seconds=1.5), 1.5), (0, 0.0)]
)
def test_retry_after_waits_the_seconds_telegram_asked_for_in_the_chat_scope(
    retry_after: int | timedelta, seconds: float
) -> None:
    outcome = outcome_for(tg.RetryAfter(retry_after))
    assert isinstance(outcome, RetryAfter)
    assert (outcome.seconds, outcome.scope) == (seconds, "chat")
    assert "Flood control exceeded" in outcome.error


def test_reading_retry_after_raises_no_deprecation_warning_of_ours() -> None:
    exc = tg.RetryAfter(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PTBDeprecationWarning)
        assert errors.retry_after_seconds(exc) == 3.0


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
    assert outcome_for(tg.Forbidden(description)) == Permanent(error=description, reason=reason)


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
        ("Bad Request: message text is empty", "bad_request"),
        ("Bad Request: BUTTON_DATA_INVALID", "bad_request"),
    ],
)
def test_bad_request_is_permanent_with_what_was_wrong(description: str, reason: str) -> None:
    outcome = outcome_for(tg.BadRequest(description))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == reason
    # python-telegram-bot drops "Bad Request: " and re-capitalizes; we name the class instead.
    assert outcome.error.startswith("BadRequest: ")
    assert description.split(": ", 1)[1].lower() in outcome.error.lower()


@pytest.mark.parametrize("exc", [tg.InvalidToken("Unauthorized"), tg.InvalidToken("Not Found")])
def test_a_rejected_token_is_permanent(exc: tg.InvalidToken) -> None:
    outcome = outcome_for(exc)
    assert outcome == Permanent(error=f"InvalidToken: {exc.message}", reason="invalid_token")


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (tg.TimedOut(), "timeout"),
        (
            tg.TimedOut("Pool timeout: All connections in the connection pool are occupied."),
            "timeout",
        ),
        (tg.NetworkError("Bad Gateway"), "server_error"),
        (tg.NetworkError("Internal Server Error"), "server_error"),
        (tg.NetworkError("Gateway Timeout"), "server_error"),
        (
            tg.NetworkError("Bad Gateway (502). Parsing the server response b'<html>' failed"),
            "server_error",
        ),
        (tg.NetworkError("httpx.ConnectError: All connection attempts failed"), "network"),
        (tg.NetworkError("httpx.RemoteProtocolError: Server disconnected"), "network"),
    ],
)
def test_timeouts_and_network_and_server_errors_are_transient(
    exc: tg.NetworkError, reason: str
) -> None:
    outcome = outcome_for(exc)
    assert isinstance(outcome, Transient)
    assert outcome.reason == reason
    assert str(exc) in outcome.error


def test_a_migration_that_escapes_the_sender_is_permanent_and_names_the_new_chat() -> None:
    outcome = outcome_for(tg.ChatMigrated(-1001234567890))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "migrated"
    assert "-1001234567890" in outcome.error


@pytest.mark.parametrize(
    "exc", [tg.Conflict("Conflict: terminated by other getUpdates"), ValueError("boom"), KeyError()]
)
def test_anything_else_is_transient_and_unexpected(exc: Exception) -> None:
    outcome = outcome_for(exc)
    assert isinstance(outcome, Transient)
    assert outcome.reason == "unexpected"
    assert type(exc).__name__ in outcome.error


@pytest.mark.parametrize(
    "exc",
    [
        tg.NetworkError(f"httpx.ConnectError: https://api.telegram.org/bot{TOKEN}/sendMessage"),
        tg.BadRequest(f"Bad Request: something about {TOKEN}"),
        tg.InvalidToken(f"The token `{TOKEN}` was rejected by the server."),
        tg.NetworkError("GET /bot7012345678%3AAAFakeTokenForHeraldTestsOnly-abcdefgh/getMe"),
        RuntimeError(f"{TOKEN}"),
    ],
)
def test_no_error_text_carries_the_token(exc: Exception) -> None:
    for token in (TOKEN, None):  # scrubbed by value, and by shape when not told the token
        outcome = outcome_for(exc, token=token)
        assert TOKEN not in outcome.error
        assert "AAFakeToken" not in outcome.error
        assert errors.REDACTED in outcome.error


def test_scrub_leaves_ordinary_text_alone() -> None:
    text = "Bad Request: chat not found (chat -1001234567890 at 12:30:05)"
    assert scrub(text, TOKEN) == text
