"""The webhooks' pure rules: the error map, the fixed retry schedule, subscriptions,
the addresses refused, and signatures as the standardwebhooks package computes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from standardwebhooks import Webhook

from herald.addresses import forbidden
from herald.channels.webhook.errors import (
    MAX_RETRY_AFTER,
    WebhookReason,
    map_exception,
    map_response,
)
from herald.queue import Permanent, RetryAfter, Sent, State, Transient
from herald.queue.policy import decide
from herald.webhooks.addresses import ForbiddenAddress
from herald.webhooks.fanout import RETRY_POLICY
from herald.webhooks.secrets import new_secret, sign
from herald.webhooks.subscriptions import check_patterns, matches

NOW = datetime(2026, 12, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "kind", "reason"),
    [
        (200, Sent, None),
        (204, Sent, None),
        (410, Permanent, WebhookReason.GONE),
        (429, Transient, WebhookReason.RATE_LIMITED),
        (500, Transient, WebhookReason.SERVER_ERROR),
        (503, Transient, WebhookReason.SERVER_ERROR),
        (301, Transient, WebhookReason.REDIRECT),
        (404, Transient, WebhookReason.CLIENT_ERROR),
        (401, Transient, WebhookReason.CLIENT_ERROR),
    ],
)
def test_statuses_map_to_outcomes(status: int, kind: type, reason: str | None) -> None:
    outcome = map_response(status, "body")
    assert isinstance(outcome, kind)
    if reason is not None:
        assert outcome.reason == reason  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("status", "header", "seconds"),
    [
        (429, "120", 120.0),
        (503, "7", 7.0),
        (429, "Mon, 07 Dec 2026 00:01:30 GMT", 90.0),  # an HTTP date, NOW + 90 s
        (429, "Sun, 06 Dec 2026 23:00:00 GMT", 1.0),  # a date past: at least a second
        (429, "0", 1.0),  # never a tight loop
        (503, "86400", MAX_RETRY_AFTER),  # a day is capped at an hour
    ],
)
def test_a_retry_after_sets_the_next_attempt(status: int, header: str, seconds: float) -> None:
    outcome = map_response(status, "slow down", header, NOW)
    assert outcome == RetryAfter(
        seconds, error=f"endpoint answered {status}: slow down", scope="recipient"
    )


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "Mon, 99 Foo 2026"])
def test_without_a_readable_retry_after_the_schedule_applies(header: str | None) -> None:
    assert map_response(429, "", header, NOW) == Transient(
        "endpoint answered 429", reason=WebhookReason.RATE_LIMITED
    )
    assert map_response(503, "", header, NOW) == Transient(
        "endpoint answered 503", reason=WebhookReason.SERVER_ERROR
    )


def test_a_retry_after_on_other_statuses_is_not_read() -> None:
    assert map_response(500, "", "60", NOW) == Transient(
        "endpoint answered 500", reason=WebhookReason.SERVER_ERROR
    )
    assert map_response(200, "", "60", NOW) == Sent()


def test_exceptions_map_to_outcomes() -> None:
    assert map_exception(TimeoutError()) == Transient(
        "endpoint did not answer in time", reason=WebhookReason.TIMEOUT
    )
    refused = aiohttp.ClientConnectionError("cannot connect")
    assert isinstance(map_exception(refused), Transient)
    try:
        try:
            raise ForbiddenAddress("x resolves to 10.0.0.1 is a private address")
        except OSError as inner:
            raise aiohttp.ClientConnectionError("dns") from inner
    except aiohttp.ClientConnectionError as wrapped:
        outcome = map_exception(wrapped)
    assert outcome == Permanent(
        "x resolves to 10.0.0.1 is a private address", reason=WebhookReason.FORBIDDEN_ADDRESS
    )


def test_the_retry_schedule_is_standard_webhooks_exactly() -> None:
    delays = []
    for attempt in range(1, 9):
        decision = decide(
            Transient("500"),
            attempts=attempt,
            max_attempts=RETRY_POLICY.max_attempts,
            policy=RETRY_POLICY,
            now=NOW,
        )
        if decision.state is State.DEAD:
            break
        assert decision.run_at is not None
        delays.append((decision.run_at - NOW) / timedelta(seconds=1))
    assert delays == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert decision.state is State.DEAD and attempt == 8


def test_subscriptions_match_types_prefixes_and_everything() -> None:
    assert matches(["*"], "click.recorded")
    assert matches(["delivery.*"], "delivery.dead_lettered")
    assert not matches(["delivery.*"], "notification.delivered")
    assert matches(["schedule.run.finished"], "schedule.run.finished")
    assert check_patterns(["*", "delivery.*", "*"]) == ["*", "delivery.*"]
    with pytest.raises(ValueError, match="matches no event type"):
        check_patterns(["delivery.snet"])


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
     "100.64.0.1", "224.0.0.1", "::1", "::", "fe80::1", "fd00:ec2::254", "::ffff:10.0.0.1"],
)  # fmt: skip
def test_non_public_addresses_are_forbidden(address: str) -> None:
    assert forbidden(address) is not None


def test_public_addresses_are_not() -> None:
    assert forbidden("93.184.216.34") is None
    assert forbidden("2606:2800:220:1:248:1893:25c8:1946") is None
    assert forbidden("::ffff:93.184.216.34") is None


def test_a_signature_is_what_the_standardwebhooks_package_computes() -> None:
    secret = new_secret()
    body = b'{"type":"webhook.test","timestamp":"2026-12-07T00:00:00Z","data":{}}'
    theirs = Webhook(secret).sign("evt_1", NOW, body.decode())
    assert sign(secret, "evt_1", int(NOW.timestamp()), body) == theirs
