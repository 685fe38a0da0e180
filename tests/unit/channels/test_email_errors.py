"""The email error map: every aiosmtplib failure lands on the outcome the queue needs."""

from __future__ import annotations

import ssl

import pytest
from aiosmtplib import (
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPConnectResponseError,
    SMTPConnectTimeoutError,
    SMTPDataError,
    SMTPException,
    SMTPHeloError,
    SMTPNotSupported,
    SMTPReadTimeoutError,
    SMTPRecipientRefused,
    SMTPRecipientsRefused,
    SMTPResponseException,
    SMTPSenderRefused,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from herald.channels.email.errors import outcome_for
from herald.queue import Permanent, Transient


def refused(code: int, message: str) -> SMTPRecipientsRefused:
    return SMTPRecipientsRefused([SMTPRecipientRefused(code, message, "ann@example.com")])


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (550, "5.1.1 No such user"),
        (551, "5.1.6 User not local; please try <ann@example.org>"),
        (553, "5.1.3 Mailbox name not allowed"),
        (550, "Requested action not taken: mailbox unavailable"),  # no enhanced code
    ],
)
def test_unknown_mailbox_on_rcpt_is_recipient_refused(code: int, message: str) -> None:
    outcome = outcome_for(refused(code, message))
    assert outcome == Permanent(f"RCPT refused: {code} {message}", reason="recipient_refused")


def test_a_single_recipient_refusal_maps_the_same_way() -> None:
    exc = SMTPRecipientRefused(550, "5.1.1 No such user", "ann@example.com")
    assert outcome_for(exc) == Permanent(
        "RCPT refused: 550 5.1.1 No such user", reason="recipient_refused"
    )


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (550, "5.7.1 Relaying denied"),  # policy, not the mailbox: keep the address
        (554, "5.7.1 Recipient address rejected: access denied"),
        (552, "5.2.2 Mailbox full"),
    ],
)
def test_other_5xx_on_rcpt_is_rejected(code: int, message: str) -> None:
    outcome = outcome_for(refused(code, message))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "rejected"
    assert f"{code} {message}" in outcome.error


@pytest.mark.parametrize(
    ("code", "message"),
    [(450, "4.2.1 Mailbox busy"), (451, "4.3.0 Try later"), (452, "4.5.3 Too many recipients")],
)
def test_4xx_on_rcpt_is_transient(code: int, message: str) -> None:
    assert outcome_for(refused(code, message)) == Transient(
        f"RCPT refused: {code} {message}", reason="smtp_4xx"
    )


def test_an_empty_refusal_list_is_unexpected_not_a_crash() -> None:
    outcome = outcome_for(SMTPRecipientsRefused([]))
    assert isinstance(outcome, Transient)
    assert outcome.reason == "unexpected"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            SMTPSenderRefused(553, "5.7.1 Sender address rejected", "noreply@example.com"),
            Permanent("MAIL FROM refused: 553 5.7.1 Sender address rejected", reason="rejected"),
        ),
        (
            SMTPSenderRefused(451, "4.3.0 Temporary failure", "noreply@example.com"),
            Transient("MAIL FROM refused: 451 4.3.0 Temporary failure", reason="smtp_4xx"),
        ),
        (
            SMTPDataError(554, "5.7.1 Message rejected as spam"),
            Permanent("DATA refused: 554 5.7.1 Message rejected as spam", reason="rejected"),
        ),
        (
            SMTPDataError(452, "4.3.1 Insufficient system storage"),
            Transient("DATA refused: 452 4.3.1 Insufficient system storage", reason="smtp_4xx"),
        ),
        (
            SMTPHeloError(501, "5.5.2 Syntax error"),
            Permanent("EHLO refused: 501 5.5.2 Syntax error", reason="rejected"),
        ),
        (
            SMTPConnectResponseError(554, "5.3.2 Go away"),
            Permanent("greeting refused: 554 5.3.2 Go away", reason="rejected"),
        ),
        (
            SMTPConnectResponseError(421, "4.3.2 Service not available"),
            Transient("greeting refused: 421 4.3.2 Service not available", reason="smtp_4xx"),
        ),
        (
            SMTPResponseException(421, "4.4.2 Too many messages on this connection"),
            Transient(
                "SMTP error: 421 4.4.2 Too many messages on this connection", reason="smtp_4xx"
            ),
        ),
    ],
)
def test_replies_outside_rcpt_map_by_their_class(exc: Exception, expected: object) -> None:
    assert outcome_for(exc) == expected


def test_a_reply_code_that_is_neither_4xx_nor_5xx_is_unexpected() -> None:
    outcome = outcome_for(SMTPResponseException(250, "OK?"))
    assert isinstance(outcome, Transient)
    assert outcome.reason == "unexpected"


def test_refused_credentials_are_permanent_auth_failed() -> None:
    exc = SMTPAuthenticationError(535, "5.7.8 Authentication credentials invalid")
    assert outcome_for(exc) == Permanent(
        "authentication failed: 535 5.7.8 Authentication credentials invalid",
        reason="auth_failed",
    )


def test_authentication_required_is_auth_failed_whatever_the_command() -> None:
    exc = SMTPSenderRefused(530, "5.7.0 Authentication required", "noreply@example.com")
    outcome = outcome_for(exc)
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "auth_failed"


def test_a_temporary_authentication_failure_is_retried() -> None:
    exc = SMTPAuthenticationError(454, "4.7.0 Temporary authentication failure")
    assert outcome_for(exc) == Transient(
        "authentication failed: 454 4.7.0 Temporary authentication failure", reason="smtp_4xx"
    )


@pytest.mark.parametrize(
    "exc",
    [
        SMTPConnectError("Error connecting to 127.0.0.1 on port 1: Connection refused"),
        SMTPServerDisconnected("Unexpected EOF received"),
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
        OSError(101, "Network is unreachable"),
        ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate"),
    ],
)
def test_network_failures_are_transient_connection(exc: Exception) -> None:
    outcome = outcome_for(exc)
    assert isinstance(outcome, Transient)
    assert outcome.reason == "connection"
    assert outcome.error.startswith("connection failed: ")
    assert len(outcome.error) > len("connection failed: ")


@pytest.mark.parametrize(
    "exc",
    [
        SMTPTimeoutError("Timed out waiting for server response"),
        SMTPReadTimeoutError("Timed out waiting for server response"),
        SMTPConnectTimeoutError("Timed out connecting to 10.0.0.1 on port 25"),
        TimeoutError(),
    ],
)
def test_timeouts_are_transient_timeout(exc: Exception) -> None:
    outcome = outcome_for(exc)
    assert isinstance(outcome, Transient)
    assert outcome.reason == "timeout"
    assert outcome.error.startswith("timeout: ")
    assert len(outcome.error) > len("timeout: ")


@pytest.mark.parametrize(
    "exc",
    [
        SMTPException("The SMTP AUTH extension is not supported by this server."),
        SMTPNotSupported("SMTPUTF8 is not supported by this server"),
        RuntimeError("boom"),
        KeyError("subject"),
    ],
)
def test_anything_else_is_transient_unexpected_and_names_the_exception(exc: Exception) -> None:
    outcome = outcome_for(exc)
    assert isinstance(outcome, Transient)
    assert outcome.reason == "unexpected"
    assert outcome.error.startswith(f"{type(exc).__name__}: ")
