"""Telegram's failures as outcomes: the one place that knows what each of them means.

The Bot API answers every call with ``{"ok": true, "result": ...}`` or ``{"ok": false,
"error_code": ..., "description": ..., "parameters": {"retry_after": ...,
"migrate_to_chat_id": ...}}``. ``outcome_for_reply`` turns a refusal, and
``outcome_for_exception`` a call that got no answer (timeout, connection), into the
queue's outcomes with a ``reason`` code the messaging layer acts on (a blocked user is
unsubscribed, a missing chat forgotten, bad markup reported to whoever wrote the
template). Both are pure, so every mapping is unit-tested without a server.
"""

from __future__ import annotations

import re
from enum import StrEnum
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import aiohttp

from herald.queue import Permanent, RetryAfter, Transient

# What a failed call comes to: every outcome but Sent.
Failure = RetryAfter | Transient | Permanent


class TelegramReason(StrEnum):
    """The ``reason`` of a Telegram outcome; the values are what the database stores
    (a recipient's or a schedule chat's reason for being unreachable)."""

    # Permanent: retrying cannot help.
    BLOCKED = "blocked"
    KICKED = "kicked"
    DEACTIVATED = "deactivated"
    CHAT_NOT_FOUND = "chat_not_found"
    BAD_MARKUP = "bad_markup"
    TOPIC_CLOSED = "topic_closed"  # a forum topic closed: the chat itself still takes posts
    TOPIC_NOT_FOUND = "topic_not_found"  # no such forum topic (message thread) in the chat
    TOO_LONG = "too_long"
    WRONG_FILE = "wrong_file"  # a file_id the bot no longer has, or a URL Telegram can't get
    BAD_REQUEST = "bad_request"
    BAD_PAYLOAD = "bad_payload"  # refused before sending: the payload is not one we can send
    INVALID_TOKEN = "invalid_token"
    MIGRATED = "migrated"  # only when a resend to the new chat id was itself migrated
    # Transient: worth retrying with backoff.
    TIMEOUT = "timeout"
    NETWORK = "network"
    SERVER_ERROR = "server_error"
    UNEXPECTED = "unexpected"


# A group that became a supergroup: the resend there was Sent with this fact in its
# meta (the new chat id, as a string), so whoever keeps the old id can move it.
MIGRATED_TO_CHAT_ID = "migrated_to_chat_id"
# An album sent whose buttons message failed: Sent (the album is in the chat), with
# Telegram's words about the buttons in its meta.
ALBUM_BUTTONS_ERROR = "album_buttons_error"
MEMBER_COUNT = "member_count"  # an action payload's name and its Sent outcome's meta key
# An edit that changed nothing ("message is not modified") is Sent, with Telegram's words
# in its meta under this key: the message already says what was asked.
NOT_MODIFIED = "not_modified"

# Telegram does not say whether a 429 is for one chat or the whole bot; per-chat
# limits are the ones a busy bot meets, so the dispatcher pauses the chat.
RETRY_AFTER_SCOPE = "chat"

# Substrings of Telegram's descriptions, matched case-insensitively.
_FORBIDDEN_REASONS = (
    ("kicked", TelegramReason.KICKED),
    ("not a member", TelegramReason.KICKED),
    ("deactivated", TelegramReason.DEACTIVATED),
    ("blocked", TelegramReason.BLOCKED),
)
_BAD_REQUEST_REASONS = (
    ("topic_closed", TelegramReason.TOPIC_CLOSED),
    ("message thread not found", TelegramReason.TOPIC_NOT_FOUND),
    ("chat not found", TelegramReason.CHAT_NOT_FOUND),
    ("can't parse entities", TelegramReason.BAD_MARKUP),
    ("message is too long", TelegramReason.TOO_LONG),
    ("message caption is too long", TelegramReason.TOO_LONG),
    ("wrong file identifier", TelegramReason.WRONG_FILE),
)
# The shape of any bot token (digits, colon, 35 url-safe characters), scrubbed even when
# it is not ours: an error text may quote a URL with a token we were never told about.
_TOKEN_SHAPE = re.compile(r"\d{3,}(?::|%3A)[A-Za-z0-9_-]{20,}")
REDACTED = "<token>"


class TelegramCallError(Exception):
    """A Bot API call failed; carries its (token-free) outcome.

    ``migrate_to_chat_id`` is Telegram's new id of a group that became a supergroup:
    the sender resends there once instead of failing.
    """

    def __init__(self, outcome: Failure, migrate_to_chat_id: int | None = None) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome
        self.migrate_to_chat_id = migrate_to_chat_id


def scrub(text: str, token: str | None = None) -> str:
    """``text`` without the bot token (plain or URL-encoded) or anything shaped like one."""
    if token:
        text = text.replace(token, REDACTED).replace(quote(token, safe=""), REDACTED)
    return _TOKEN_SHAPE.sub(REDACTED, text)


def refusal(status: int, body: Any, *, token: str | None = None) -> TelegramCallError:
    """The error for an answer that is not ``ok``, with the migration's new id if any."""
    params = body.get("parameters") if isinstance(body, dict) else None
    migrate = params.get("migrate_to_chat_id") if isinstance(params, dict) else None
    new_chat = int(migrate) if isinstance(migrate, int) and not isinstance(migrate, bool) else None
    return TelegramCallError(outcome_for_reply(status, body, token=token), new_chat)


def outcome_for_reply(status: int, body: Any, *, token: str | None = None) -> Failure:
    """The outcome of a Bot API answer that is not ``ok`` (``body``: the decoded JSON, or
    None when it was not JSON, as a proxy's 502 page is not)."""
    if not isinstance(body, dict):
        error = scrub(f"{status} {_phrase(status)} (the answer was not the Bot API's JSON)", token)
        if status >= 500:
            return Transient(error=error, reason=TelegramReason.SERVER_ERROR)
        return Transient(error=error, reason=TelegramReason.UNEXPECTED)
    code = body.get("error_code")
    code = code if isinstance(code, int) else status
    description = str(body.get("description") or _phrase(code))
    error = description if description.startswith(str(code)) else f"{code} {description}"
    error = scrub(error, token)
    params = body.get("parameters")
    params = params if isinstance(params, dict) else {}
    if params.get("migrate_to_chat_id") is not None:
        return Permanent(
            error=f"{error} (migrate_to_chat_id {params['migrate_to_chat_id']})",
            reason=TelegramReason.MIGRATED,
        )
    if params.get("retry_after") is not None or code == 429:
        return RetryAfter(
            seconds=_seconds(params.get("retry_after")), error=error, scope=RETRY_AFTER_SCOPE
        )
    if code in (401, 404):  # an unknown or malformed token: every call fails alike
        return Permanent(error=error, reason=TelegramReason.INVALID_TOKEN)
    if code == 403:
        return Permanent(
            error=error, reason=_match(description, _FORBIDDEN_REASONS, TelegramReason.BLOCKED)
        )
    if code == 400:
        return Permanent(
            error=error,
            reason=_match(description, _BAD_REQUEST_REASONS, TelegramReason.BAD_REQUEST),
        )
    if code >= 500:
        return Transient(error=error, reason=TelegramReason.SERVER_ERROR)
    # 409 Conflict and the unforeseen.
    return Transient(error=error, reason=TelegramReason.UNEXPECTED)


def outcome_for_exception(exc: BaseException, *, token: str | None = None) -> Failure:
    """The outcome of a call that got no answer; ``token`` is scrubbed from the text."""
    # aiohttp's timeouts are TimeoutError subclasses (ServerTimeoutError, ConnectionTimeoutError).
    if isinstance(exc, TimeoutError):
        return Transient(
            error=scrub(f"timeout: {_describe(exc)}", token), reason=TelegramReason.TIMEOUT
        )
    if isinstance(exc, OSError | aiohttp.ClientError):
        return Transient(
            error=scrub(f"network: {_describe(exc)}", token), reason=TelegramReason.NETWORK
        )
    return Transient(error=scrub(_describe(exc), token), reason=TelegramReason.UNEXPECTED)


def _seconds(value: Any) -> float:
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return 1.0  # a 429 without a usable retry_after: wait a little


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"


def _match(
    description: str, table: tuple[tuple[str, TelegramReason], ...], default: TelegramReason
) -> TelegramReason:
    text = description.lower()
    return next((reason for needle, reason in table if needle in text), default)


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    text = str(exc)
    return f"{name}: {text}" if text else name
