"""PushSender against a real push service on loopback: encryption, VAPID, the error map
end to end, and concurrency without blocking the loop."""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pywebpush import WebPusher

from herald.channels.push import PushSender, vapid
from herald.clock import FakeClock
from herald.queue import Delivery, Lane, Outcome, Permanent, RetryAfter, Sent, Transient
from tests.support import deliveries
from tests.support.ports import free_port
from tests.support.push_service import BrowserSubscription, PushService

SUBJECT = "mailto:ops@example.com"


def make_delivery(payload: dict[str, Any], lane: Lane = Lane.TRANSACTIONAL) -> Delivery:
    return deliveries.make_delivery("push", "user-1", payload, lane=lane, delivery_id=1)


def push(sub: BrowserSubscription | dict[str, Any], **fields: Any) -> dict[str, Any]:
    info = sub.info() if isinstance(sub, BrowserSubscription) else sub
    return {"subscription": info, "title": "Price alert", "body": "BTC crossed 100k", **fields}


def assert_key_absent(outcome: Outcome, private_key: str) -> None:
    assert not isinstance(outcome, Sent)
    assert private_key not in outcome.error
    assert private_key not in repr(outcome)


@pytest.fixture
async def service() -> AsyncIterator[PushService]:
    async with PushService() as svc:
        yield svc


@pytest.fixture
def keys() -> tuple[str, str]:
    return vapid.generate_keypair()


@pytest.fixture
async def sender(keys: tuple[str, str]) -> AsyncIterator[PushSender]:
    s = PushSender(keys[0], SUBJECT, allow_insecure_endpoints=True)
    try:
        yield s
    finally:
        await s.close()


async def test_notification_arrives_decrypted(
    service: PushService, sender: PushSender, keys: tuple[str, str]
) -> None:
    sub = service.subscribe(application_server_key=keys[1])
    payload = push(sub, icon="/i.png", badge="/b.png", url="/alerts/7", data={"alert_id": 7})
    before = time.time()

    outcome = await sender.send(make_delivery(payload))

    assert isinstance(outcome, Sent)
    assert outcome.provider_message_id is not None
    assert outcome.provider_message_id.startswith(f"{service.origin}/message/")
    [received] = service.received_for(sub.id)
    assert received.notification == {
        "title": "Price alert",
        "body": "BTC crossed 100k",
        "icon": "/i.png",
        "badge": "/b.png",
        "url": "/alerts/7",
        "data": {"alert_id": 7},
    }
    assert received.headers["urgency"] == "high"
    assert received.headers["ttl"] == "3600"
    assert received.headers["content-encoding"] == "aes128gcm"
    assert received.claims["aud"] == service.origin
    assert received.claims["sub"] == SUBJECT
    assert before + 11 * 3600 < received.claims["exp"] <= time.time() + 24 * 3600
    assert received.headers["authorization"].endswith(f", k={keys[1]}")
    assert sender.public_key == keys[1]


async def test_campaign_is_normal_urgency_with_the_campaign_ttl(
    service: PushService, keys: tuple[str, str]
) -> None:
    sub = service.subscribe()
    sender = PushSender(keys[0], SUBJECT, ttl_seconds=600, allow_insecure_endpoints=True)
    try:
        outcome = await sender.send(make_delivery(push(sub), lane=Lane.CAMPAIGN))
    finally:
        await sender.close()
    assert isinstance(outcome, Sent)
    [received] = service.received
    assert received.headers["urgency"] == "normal"
    assert received.headers["ttl"] == "600"
    assert received.notification == {"title": "Price alert", "body": "BTC crossed 100k"}


async def test_default_campaign_ttl_is_a_day(service: PushService, sender: PushSender) -> None:
    sub = service.subscribe()
    assert isinstance(await sender.send(make_delivery(push(sub), Lane.CAMPAIGN)), Sent)
    assert service.received[0].headers["ttl"] == "86400"


# --- VAPID, as the service checks it ---


async def test_service_rejects_bad_tokens_and_accepts_good_ones(
    service: PushService, keys: tuple[str, str]
) -> None:
    """Pushes built with pywebpush's encryption and hand-made Authorization headers."""
    sub = service.subscribe(application_server_key=keys[1])
    key = vapid.load_private_key(keys[0])
    now = int(time.time())
    body = WebPusher(sub.info()).encode(b'{"title":"t","body":"b"}')["body"]

    def header(aud: str = service.origin, exp: int = now + 3600, subject: str = SUBJECT) -> str:
        return vapid.authorization_header(key, audience=aud, subject=subject, expires_at=exp)

    good = header()
    token = good.split("t=", 1)[1].split(",", 1)[0]
    head, claims, signature = token.split(".")
    forged_claims = vapid.b64url_encode(
        f'{{"aud":"{service.origin}","exp":{now + 3600},"sub":"mailto:evil@example.com"}}'.encode()
    )
    cases = [
        (good, 201),
        (good.replace(token, f"{head}.{forged_claims}.{signature}"), 401),
        (good.replace(token, f"{head}.{claims}.{signature[:-4]}AAAA"), 401),
        (f"WebPush {token}", 401),
        ("", 401),
        (header(aud="https://fcm.googleapis.com"), 403),
        (header(exp=now - 10), 403),
        (header(exp=now + 25 * 3600), 403),
        (header(subject="ops"), 403),
    ]
    async with httpx.AsyncClient() as client:
        for authorization, expected in cases:
            headers = {"Authorization": authorization, "TTL": "60", "Content-Encoding": "aes128gcm"}
            response = await client.post(sub.endpoint, content=body, headers=headers)
            assert response.status_code == expected, (authorization, response.text)
    assert len(service.received) == 1
    assert service.received[0].notification == {"title": "t", "body": "b"}


async def test_a_key_other_than_the_subscriptions_is_rejected(
    service: PushService, keys: tuple[str, str]
) -> None:
    other_private, _ = vapid.generate_keypair()
    sub = service.subscribe(application_server_key=keys[1])
    sender = PushSender(other_private, SUBJECT, allow_insecure_endpoints=True)
    try:
        outcome = await sender.send(make_delivery(push(sub)))
    finally:
        await sender.close()
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "rejected"
    assert "403" in outcome.error
    assert service.requests[-1].problem.startswith("VAPID key is not")
    assert service.received == []
    assert_key_absent(outcome, other_private)


async def test_tokens_are_reused_then_renewed(service: PushService, keys: tuple[str, str]) -> None:
    clock = FakeClock(start=datetime.now(UTC))
    sender = PushSender(keys[0], SUBJECT, allow_insecure_endpoints=True, clock=clock)
    sub = service.subscribe()
    try:
        for _ in range(2):
            assert isinstance(await sender.send(make_delivery(push(sub))), Sent)
        clock.advance(11.5 * 3600)  # under an hour of validity left: sign a new one
        assert isinstance(await sender.send(make_delivery(push(sub))), Sent)
    finally:
        await sender.close()
    first, second, third = (r.headers["authorization"] for r in service.received)
    assert first == second
    assert third != first
    assert service.received[2].claims["exp"] > service.received[0].claims["exp"]


# --- the error map, end to end ---


async def test_unknown_subscription_is_expired(
    service: PushService, sender: PushSender, keys: tuple[str, str]
) -> None:
    sub = service.subscribe()
    info = {**sub.info(), "endpoint": f"{service.origin}/push/nobody"}
    outcome = await sender.send(make_delivery(push(info)))
    assert outcome == Permanent(
        "push service answered 404: no such subscription", reason="subscription_expired"
    )
    assert_key_absent(outcome, keys[0])


async def test_unsubscribed_is_expired(service: PushService, sender: PushSender) -> None:
    sub = service.subscribe()
    assert isinstance(await sender.send(make_delivery(push(sub))), Sent)
    service.unsubscribe(sub.id)
    outcome = await sender.send(make_delivery(push(sub)))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "subscription_expired"
    assert "410" in outcome.error


@pytest.mark.parametrize(
    ("status", "reason"),
    [(404, "subscription_expired"), (410, "subscription_expired"), (413, "payload_too_large")],
)
async def test_forced_permanent_answers(
    service: PushService, sender: PushSender, keys: tuple[str, str], status: int, reason: str
) -> None:
    sub = service.subscribe()
    service.answer(sub.id, status)
    outcome = await sender.send(make_delivery(push(sub)))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == reason
    assert str(status) in outcome.error
    assert_key_absent(outcome, keys[0])
    assert service.received == []


async def test_429_retries_after_what_the_service_said(
    service: PushService, sender: PushSender
) -> None:
    sub = service.subscribe()
    service.answer(sub.id, 429, retry_after="7")
    outcome = await sender.send(make_delivery(push(sub)))
    assert isinstance(outcome, RetryAfter)
    assert outcome.seconds == 7
    # Once only: the next push goes through.
    assert isinstance(await sender.send(make_delivery(push(sub))), Sent)
    assert len(service.received) == 1


async def test_500_is_transient_for_as_long_as_it_lasts(
    service: PushService, sender: PushSender, keys: tuple[str, str]
) -> None:
    sub = service.subscribe()
    service.answer(sub.id, 500, times=None, body="internal error")
    for _ in range(3):
        outcome = await sender.send(make_delivery(push(sub)))
        assert outcome == Transient(
            "push service answered 500: internal error", reason="server_error"
        )
    assert [r.status for r in service.requests] == [500, 500, 500]
    assert_key_absent(outcome, keys[0])


async def test_a_huge_error_page_is_quoted_short_and_the_next_push_goes(
    service: PushService, sender: PushSender
) -> None:
    sub = service.subscribe()
    service.answer(sub.id, 503, body="<html>" + "overloaded " * 20_000)

    outcome = await sender.send(make_delivery(push(sub)))
    after = await sender.send(make_delivery(push(sub)))

    assert isinstance(outcome, Transient)
    assert outcome.reason == "server_error"
    assert outcome.error.startswith("push service answered 503: <html>overloaded")
    assert len(outcome.error) < 300
    assert isinstance(after, Sent)


async def test_a_closed_port_is_a_network_error(sender: PushSender, keys: tuple[str, str]) -> None:
    sub = {"endpoint": f"http://127.0.0.1:{free_port()}/push/x", "keys": _valid_keys()}
    outcome = await sender.send(make_delivery(push(sub)))
    assert isinstance(outcome, Transient)
    assert outcome.reason == "network"
    assert_key_absent(outcome, keys[0])


async def test_a_slow_service_times_out(service: PushService, keys: tuple[str, str]) -> None:
    sub = service.subscribe()
    service.stall(sub.id, 5.0)
    sender = PushSender(keys[0], SUBJECT, timeout=0.2, allow_insecure_endpoints=True)
    started = time.monotonic()
    try:
        outcome = await sender.send(make_delivery(push(sub)))
    finally:
        await sender.close()
    assert isinstance(outcome, Transient)
    assert outcome.reason == "timeout"
    assert time.monotonic() - started < 2.0


async def test_the_private_key_is_scrubbed_from_echoed_errors(
    service: PushService, sender: PushSender, keys: tuple[str, str]
) -> None:
    """Even a proxy that echoes the key back cannot get it into last_error."""
    sub = service.subscribe()
    service.answer(sub.id, 400, body=f"bad request; your key is {keys[0]}")
    outcome = await sender.send(make_delivery(push(sub)))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "rejected"
    assert "[redacted]" in outcome.error
    assert_key_absent(outcome, keys[0])


# --- payloads that never leave ---


def _valid_keys() -> dict[str, str]:
    """Browser-side keys for a subscription no service holds."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {"p256dh": vapid.b64url_encode(point), "auth": vapid.b64url_encode(os.urandom(16))}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"title": "t", "body": "b"}, "invalid_subscription"),
        (
            {"subscription": {"endpoint": "http://127.0.0.1:9/p"}, "title": "t", "body": "b"},
            "invalid_subscription",
        ),
        (
            {
                "subscription": {
                    "endpoint": "http://127.0.0.1:9/p",
                    "keys": {"p256dh": "AAAA", "auth": "AAAA"},
                },
                "title": "t",
                "body": "b",
            },
            "invalid_subscription",
        ),
        (
            {
                "subscription": {"endpoint": "ftp://127.0.0.1:9/p", "keys": _valid_keys()},
                "title": "t",
                "body": "b",
            },
            "invalid_subscription",
        ),
        (
            {
                "subscription": {"endpoint": "http://127.0.0.1:9/p", "keys": _valid_keys()},
                "body": "b",
            },
            "invalid_payload",
        ),
        (
            {
                "subscription": {"endpoint": "http://127.0.0.1:9/p", "keys": _valid_keys()},
                "title": "t",
                "body": "b",
                "data": [1],
            },
            "invalid_payload",
        ),
        (
            {
                "subscription": {"endpoint": "http://127.0.0.1:9/p", "keys": _valid_keys()},
                "title": "t",
                "body": "b",
                "icon": 3,
            },
            "invalid_payload",
        ),
    ],
)
async def test_invalid_payloads_are_permanent_without_a_request(
    sender: PushSender, payload: dict[str, Any], reason: str
) -> None:
    outcome = await sender.send(make_delivery(payload))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == reason


async def test_an_oversized_notification_is_refused_before_sending(
    service: PushService, sender: PushSender
) -> None:
    sub = service.subscribe()
    outcome = await sender.send(make_delivery(push(sub, body="x" * 4000)))
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "payload_too_large"
    assert service.requests == []
    # Just under the limit still goes out.
    assert isinstance(await sender.send(make_delivery(push(sub, body="x" * 3900))), Sent)


async def test_plain_http_endpoints_are_refused_by_default(
    service: PushService, keys: tuple[str, str]
) -> None:
    sub = service.subscribe()
    sender = PushSender(keys[0], SUBJECT)
    try:
        outcome = await sender.send(make_delivery(push(sub)))
    finally:
        await sender.close()
    assert isinstance(outcome, Permanent)
    assert outcome.reason == "invalid_subscription"
    assert "https" in outcome.error
    assert service.requests == []


def test_constructor_rejects_bad_configuration_without_quoting_the_key() -> None:
    bad_key = vapid.b64url_encode(b"\x07" * 31)
    with pytest.raises(ValueError, match="malformed") as info:
        PushSender(bad_key, SUBJECT)
    assert bad_key not in str(info.value)
    private, _ = vapid.generate_keypair()
    with pytest.raises(ValueError, match="subject"):
        PushSender(private, "ops@example.com")
    with pytest.raises(ValueError, match="timeout"):
        PushSender(private, SUBJECT, timeout=0)


# --- concurrency ---


@pytest.mark.serial  # measures event-loop gaps in ms: not beside another test process
async def test_concurrent_sends_do_not_block_the_loop(
    service: PushService, sender: PushSender
) -> None:
    subs = [service.subscribe() for _ in range(20)]
    for sub in subs:
        service.stall(sub.id, 0.3)  # each push takes 0.3 s to be answered
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.005)

    # A full garbage collection late in a long test run can itself pause the loop for
    # a fifth of a second; what is measured here is the sender, so the collector waits.
    gc.collect()
    gc.disable()
    ticking = asyncio.create_task(ticker())
    started = time.monotonic()
    try:
        outcomes = await asyncio.gather(
            *(sender.send(make_delivery(push(sub, title=f"n{i}"))) for i, sub in enumerate(subs))
        )
    finally:
        ticking.cancel()
        gc.enable()
    elapsed = time.monotonic() - started

    assert all(isinstance(o, Sent) for o in outcomes)
    assert elapsed < 2.0  # one after another would take 6 s
    assert sorted(r.notification["title"] for r in service.received) == sorted(
        f"n{i}" for i in range(20)
    )
    during = [t for t in ticks if t <= started + elapsed]
    assert len(during) >= 20
    assert max(b - a for a, b in itertools.pairwise(during)) < 0.2


# --- the connection pool ---


async def test_sends_share_a_bounded_pool_of_kept_alive_connections(
    service: PushService, keys: tuple[str, str]
) -> None:
    sender = PushSender(keys[0], SUBJECT, allow_insecure_endpoints=True, max_connections=4)
    subs = [service.subscribe() for _ in range(40)]
    try:
        outcomes = await asyncio.gather(*(sender.send(make_delivery(push(s))) for s in subs))
        pooled = service.connections
        later = [await sender.send(make_delivery(push(s))) for s in subs[:5]]
    finally:
        await sender.close()

    assert all(isinstance(o, Sent) for o in outcomes + later)
    assert 1 <= pooled <= 4
    assert service.connections == pooled  # one after another: no new connection
    assert len(service.received) == 45


async def test_connections_the_service_dropped_are_replaced_and_nothing_is_lost(
    service: PushService, sender: PushSender
) -> None:
    subs = [service.subscribe() for _ in range(16)]
    first = await asyncio.gather(*(sender.send(make_delivery(push(s))) for s in subs[:8]))
    before = service.connections
    service.disconnect_all()
    second = await asyncio.gather(*(sender.send(make_delivery(push(s))) for s in subs[8:]))

    assert all(isinstance(o, Sent) for o in first + second)
    assert service.connections > before  # new connections, none of the dropped ones
    assert sorted(r.subscription_id for r in service.received) == sorted(s.id for s in subs)
