"""Telegram's failures as outcomes: the one place that knows what each of them means.

python-telegram-bot turns the Bot API's answers into exceptions (from the HTTP status and
the body's ``parameters``); ``outcome_for`` turns those into the queue's outcomes with a
``reason`` code the messaging layer acts on (a blocked user is unsubscribed, a missing
chat forgotten, bad markup reported to whoever wrote the template). It is pure, so every
mapping is unit-tested without a server.
"""

from __future__ import annotations

import re
import warnings
from datetime import timedelta
from urllib.parse import quote

from telegram import error as tg
from telegram.warnings import PTBDeprecationWarning

from herald.queue import Permanent, RetryAfter, Transient

# What a failed call comes to: every outcome but Sent.
Failure = RetryAfter | Transient | Permanent

# Reason codes. Permanent: retrying cannot help.
BLOCKED = "blocked"
KICKED = "kicked"
DEACTIVATED = "deactivated"
CHAT_NOT_FOUND = "chat_not_found"
BAD_MARKUP = "bad_markup"
TOO_LONG = "too_long"
BAD_REQUEST = "bad_request"
BAD_PAYLOAD = "bad_payload"  # refused before sending: the payload is not one we can send
INVALID_TOKEN = "invalid_token"
MIGRATED = "migrated"  # only when a resend to the new chat id was itself migrated
# Transient: worth retrying with backoff.
TIMEOUT = "timeout"
NETWORK = "network"
SERVER_ERROR = "server_error"
UNEXPECTED = "unexpected"

# Telegram does not say whether a 429 is for one chat or the whole bot; per-chat
# limits are the ones a busy bot meets, so the dispatcher pauses the chat.
RETRY_AFTER_SCOPE = "chat"

# Substrings of Telegram's descriptions, matched case-insensitively (python-telegram-bot
# strips "Bad Request: " and re-capitalizes what is left).
_FORBIDDEN_REASONS = (
    ("kicked", KICKED),
    ("not a member", KICKED),
    ("deactivated", DEACTIVATED),
    ("blocked", BLOCKED),
)
_BAD_REQUEST_REASONS = (
    ("chat not found", CHAT_NOT_FOUND),
    ("can't parse entities", BAD_MARKUP),
    ("message is too long", TOO_LONG),
)
# python-telegram-bot raises a bare NetworkError for a 5xx, with Telegram's description
# ("Bad Gateway") or, when the body is not JSON, "Bad Gateway (502). Parsing ... failed".
_SERVER_ERROR = re.compile(
    r"\(5\d\d\)|bad gateway|internal server error|service unavailable|gateway time-?out", re.I
)
# The shape of any bot token (digits, colon, 35 url-safe characters), scrubbed even when
# it is not ours: an error text may quote a URL with a token we were never told about.
_TOKEN_SHAPE = re.compile(r"\d{3,}(?::|%3A)[A-Za-z0-9_-]{20,}")
REDACTED = "<token>"


class TelegramCallError(Exception):
    """A Bot API call other than a send failed; carries its (token-free) outcome."""

    def __init__(self, outcome: Failure) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


def scrub(text: str, token: str | None = None) -> str:
    """``text`` without the bot token (plain or URL-encoded) or anything shaped like one."""
    if token:
        text = text.replace(token, REDACTED).replace(quote(token, safe=""), REDACTED)
    return _TOKEN_SHAPE.sub(REDACTED, text)


def outcome_for(exc: BaseException, *, token: str | None = None) -> Failure:
    """The outcome a failed send comes to; ``token`` is scrubbed from the error text."""
    error = scrub(_describe(exc), token)
    if isinstance(exc, tg.RetryAfter):
        return RetryAfter(seconds=retry_after_seconds(exc), error=error, scope=RETRY_AFTER_SCOPE)
    if isinstance(exc, tg.ChatMigrated):
        return Permanent(error=error, reason=MIGRATED)
    if isinstance(exc, tg.Forbidden):
        return Permanent(error=error, reason=_match(exc, _FORBIDDEN_REASONS, BLOCKED))
    if isinstance(exc, tg.InvalidToken):
        return Permanent(error=error, reason=INVALID_TOKEN)
    if isinstance(exc, tg.BadRequest):
        return Permanent(error=error, reason=_match(exc, _BAD_REQUEST_REASONS, BAD_REQUEST))
    if isinstance(exc, tg.TimedOut):
        return Transient(error=error, reason=TIMEOUT)
    if isinstance(exc, tg.NetworkError):
        reason = SERVER_ERROR if _SERVER_ERROR.search(exc.message) else NETWORK
        return Transient(error=error, reason=reason)
    return Transient(error=error, reason=UNEXPECTED)


def retry_after_seconds(exc: tg.RetryAfter) -> float:
    """``retry_after`` in seconds, whichever type this python-telegram-bot hands out.

    Since v22.2 reading it warns unless PTB_TIMEDELTA is set (it becomes a timedelta in a
    future major version); we accept both and keep the warning out of our logs.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(seconds, 0.0)


def _match(exc: tg.TelegramError, table: tuple[tuple[str, str], ...], default: str) -> str:
    message = exc.message.lower()
    return next((reason for needle, reason in table if needle in message), default)


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    text = str(exc) or repr(exc)
    return text if text.lower().startswith(name.lower()) else f"{name}: {text}"
