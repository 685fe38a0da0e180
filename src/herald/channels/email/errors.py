"""The email channel's error map: aiosmtplib exceptions -> queue outcomes.

The only place that knows SMTP reply codes. It is a pure function of the exception
(no I/O, no logging, no credentials in scope), so what it says can never include a
password and it can be tested with constructed exceptions.

Reply classes (RFC 5321 4.2.1): 4xx means "try again later", 5xx means "this
transaction will never succeed as it is". Reasons:

- ``recipient_refused``: 550/551/553 on RCPT (the address does not exist or is not
  accepted), unless the enhanced code is 5.7.x, which is policy, not the address;
- ``rejected``: any other 5xx (MAIL FROM, DATA, policy, HELO);
- ``auth_failed``: the server refused our credentials (5xx on AUTH, or 530
  "authentication required"): a configuration problem, retrying cannot fix it;
- ``smtp_4xx``: any 4xx, including 421 "service closing";
- ``timeout`` / ``connection``: the network or the server went away;
- ``unexpected``: anything else (a bug, an unsupported extension...), retried.
"""

from __future__ import annotations

import re
from enum import StrEnum

from aiosmtplib import (
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPDataError,
    SMTPHeloError,
    SMTPRecipientRefused,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPSenderRefused,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from herald.queue import Outcome, Permanent, Transient


class EmailReason(StrEnum):
    """The ``reason`` of an email outcome (described above)."""

    RECIPIENT_REFUSED = "recipient_refused"
    REJECTED = "rejected"
    AUTH_FAILED = "auth_failed"
    SMTP_4XX = "smtp_4xx"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    UNEXPECTED = "unexpected"
    # Refused before any connection: no server could ever accept it (message.py).
    INVALID_RECIPIENT = "invalid_recipient"
    INVALID_PAYLOAD = "invalid_payload"


# Codes that say "this mailbox", on RCPT: no such user, not local, bad mailbox name.
_RECIPIENT_CODES = frozenset({550, 551, 553})
# An enhanced status code (RFC 3463) at the start of the reply text, e.g. "5.7.1".
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_AUTH_REQUIRED = 530


def outcome_for(exc: Exception) -> Outcome:
    """What a failed send comes to. Never raises."""
    if isinstance(exc, SMTPRecipientsRefused):
        if not exc.recipients:
            return Transient(
                "all recipients refused (no reply recorded)", reason=EmailReason.UNEXPECTED
            )
        # We send to one recipient per delivery, so the first refusal is the refusal.
        return _rcpt_outcome(exc.recipients[0])
    if isinstance(exc, SMTPRecipientRefused):
        return _rcpt_outcome(exc)
    if isinstance(exc, SMTPAuthenticationError):
        text = f"authentication failed: {_reply(exc)}"
        if _is_4xx(exc.code):
            return Transient(text, reason=EmailReason.SMTP_4XX)
        return Permanent(text, reason=EmailReason.AUTH_FAILED)
    if isinstance(exc, SMTPResponseException):
        return _response_outcome(exc)
    # TimeoutError is an OSError, so it goes first.
    if isinstance(exc, SMTPTimeoutError | TimeoutError):
        return Transient(f"timeout: {_text(exc)}", reason=EmailReason.TIMEOUT)
    if isinstance(exc, SMTPConnectError | SMTPServerDisconnected | OSError):
        return Transient(f"connection failed: {_text(exc)}", reason=EmailReason.CONNECTION)
    return Transient(f"{type(exc).__name__}: {_text(exc)}", reason=EmailReason.UNEXPECTED)


def _rcpt_outcome(exc: SMTPRecipientRefused) -> Outcome:
    text = f"RCPT refused: {_reply(exc)}"
    if _is_4xx(exc.code):
        return Transient(text, reason=EmailReason.SMTP_4XX)
    if _is_5xx(exc.code):
        if exc.code in _RECIPIENT_CODES and _enhanced_class(exc.message) != "5.7":
            return Permanent(text, reason=EmailReason.RECIPIENT_REFUSED)
        return Permanent(text, reason=EmailReason.REJECTED)
    return Transient(text, reason=EmailReason.UNEXPECTED)


def _response_outcome(exc: SMTPResponseException) -> Outcome:
    text = f"{_stage(exc)}: {_reply(exc)}"
    if _is_4xx(exc.code):
        return Transient(text, reason=EmailReason.SMTP_4XX)
    if exc.code == _AUTH_REQUIRED:
        return Permanent(text, reason=EmailReason.AUTH_FAILED)
    if _is_5xx(exc.code):
        return Permanent(text, reason=EmailReason.REJECTED)
    return Transient(text, reason=EmailReason.UNEXPECTED)


def _stage(exc: SMTPResponseException) -> str:
    if isinstance(exc, SMTPSenderRefused):
        return "MAIL FROM refused"
    if isinstance(exc, SMTPDataError):
        return "DATA refused"
    if isinstance(exc, SMTPHeloError):
        return "EHLO refused"
    if isinstance(exc, SMTPConnectError):
        return "greeting refused"
    return "SMTP error"


def _reply(exc: SMTPResponseException) -> str:
    return f"{exc.code} {exc.message}".strip()


def _text(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _enhanced_class(message: str) -> str | None:
    match = _ENHANCED.match(message)
    return f"{match[1]}.{match[2]}" if match else None


def _is_4xx(code: int) -> bool:
    return 400 <= code < 500


def _is_5xx(code: int) -> bool:
    return 500 <= code < 600
