"""The push error map: every answer a push service gives, and every way of getting none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest

from herald.channels.push.errors import (
    DEFAULT_RETRY_AFTER,
    MAX_RETRY_AFTER,
    map_exception,
    map_response,
    parse_retry_after,
)
from herald.queue import Permanent, RetryAfter, Sent, Transient

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("status", [200, 201, 202])
def test_success_is_sent_with_the_location(status: int) -> None:
    outcome = map_response(status, {"Location": "https://push.example/m/1"}, "", now=NOW)
    assert outcome == Sent(provider_message_id="https://push.example/m/1")


def test_success_without_location_has_no_message_id() -> None:
    assert map_response(201, {}, "", now=NOW) == Sent(provider_message_id=None)


def test_header_names_are_case_insensitive() -> None:
    assert map_response(201, {"location": "x"}, "", now=NOW) == Sent(provider_message_id="x")
    assert map_response(429, {"retry-after": "9"}, "", now=NOW) == RetryAfter(
        9.0, error="push service answered 429"
    )


@pytest.mark.parametrize(
    ("status", "kind", "reason"),
    [
        (404, Permanent, "subscription_expired"),
        (410, Permanent, "subscription_expired"),
        (413, Permanent, "payload_too_large"),
        (400, Permanent, "rejected"),
        (401, Permanent, "rejected"),
        (403, Permanent, "rejected"),
        (422, Permanent, "rejected"),
        (408, Transient, "timeout"),
        (500, Transient, "server_error"),
        (502, Transient, "server_error"),
        (503, Transient, "server_error"),
        (599, Transient, "server_error"),
        (301, Transient, "unexpected_status"),
        (204, Transient, "unexpected_status"),
    ],
)
def test_status_codes(status: int, kind: type[Permanent | Transient], reason: str) -> None:
    outcome = map_response(status, {}, "boom", now=NOW)
    assert isinstance(outcome, kind)
    assert outcome.reason == reason
    assert outcome.error == f"push service answered {status}: boom"


def test_long_bodies_are_cut_and_whitespace_collapsed() -> None:
    outcome = map_response(400, {}, "bad\n\n  request " + "x" * 500, now=NOW)
    assert isinstance(outcome, Permanent)
    assert outcome.error.startswith("push service answered 400: bad request xxx")
    assert outcome.error.endswith("...")
    assert len(outcome.error) < 260


def test_429_waits_for_retry_after_seconds() -> None:
    outcome = map_response(429, {"Retry-After": "7"}, "slow down", now=NOW)
    assert isinstance(outcome, RetryAfter)
    assert outcome.seconds == 7.0
    assert "429" in outcome.error


def test_429_reads_an_http_date() -> None:
    when = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    outcome = map_response(429, {"Retry-After": when}, "", now=NOW)
    assert outcome == RetryAfter(90.0, error="push service answered 429")


def test_429_without_retry_after_waits_the_default() -> None:
    assert map_response(429, {}, "", now=NOW) == RetryAfter(
        DEFAULT_RETRY_AFTER, error="push service answered 429"
    )
    assert DEFAULT_RETRY_AFTER == 60.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 12 ", 12.0),
        ("1.5", 1.5),
        ("0", 1.0),  # never retry in a tight loop
        ("999999999", MAX_RETRY_AFTER),
        ("soon", DEFAULT_RETRY_AFTER),
        ("-5", DEFAULT_RETRY_AFTER),
        ("", DEFAULT_RETRY_AFTER),
        (None, DEFAULT_RETRY_AFTER),
        (format_datetime(NOW - timedelta(minutes=5), usegmt=True), 1.0),
        ("Sun, 01 Mar 2026 12:00:30 GMT", 30.0),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (aiohttp.ConnectionTimeoutError("connect timed out"), "timeout"),
        (aiohttp.SocketTimeoutError("read timed out"), "timeout"),
        (aiohttp.ServerTimeoutError("timed out"), "timeout"),
        (TimeoutError(), "timeout"),
        (aiohttp.ClientConnectionError("connection refused"), "network"),
        (aiohttp.ClientOSError(104, "connection reset"), "network"),
        (aiohttp.ServerDisconnectedError("server hung up"), "network"),
        (ConnectionResetError(104, "reset by peer"), "network"),
    ],
)
def test_no_answer_is_transient(exc: BaseException, reason: str) -> None:
    outcome = map_exception(exc)
    assert isinstance(outcome, Transient)
    assert outcome.reason == reason
    assert outcome.error


def test_network_errors_say_what_happened() -> None:
    outcome = map_exception(aiohttp.ClientConnectionError("connection refused"))
    assert outcome == Transient("push service unreachable: connection refused", reason="network")


def test_an_invalid_endpoint_url_is_permanent() -> None:
    outcome = map_exception(aiohttp.InvalidURL("bad port"))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "invalid_subscription"
