"""Notifications end to end over loopback: the API, the queue, the worker and the real
senders against a fake Telegram Bot API, an SMTP server and a push service."""

from __future__ import annotations

import asyncio
from typing import Any

from httpx import AsyncClient
from prometheus_client import generate_latest

from herald.auth import Role
from herald.runtime import Runtime
from tests.integration.conftest import Peers
from tests.support.alerts import SL_VARS


async def notify(client: AsyncClient, recipient: str, **body: Any) -> int:
    response = await client.post(
        "/api/v1/notifications",
        json={"recipients": [recipient], "template": "position_sl_failed", "vars": SL_VARS, **body},
    )
    assert response.status_code == 202, response.text
    [ref] = response.json()["notifications"]
    return int(ref["id"])


async def test_an_expired_push_subscription_falls_back_to_email(
    wired_api: tuple[AsyncClient, Runtime], peers: Peers
) -> None:
    client, runtime = wired_api
    browser = peers.push.subscribe()
    peers.push.answer(browser.id, 410)
    await client.put("/api/v1/recipients/trader-1", json={"email": "trader@example.com"})
    await client.post("/api/v1/recipients/trader-1/push-subscriptions", json=browser.info())

    notification_id = await notify(client, "trader-1")
    await runtime.worker().drain()

    shown = (await client.get(f"/api/v1/notifications/{notification_id}")).json()
    assert (shown["status"], shown["channel"]) == ("delivered", "email")
    assert [(d["channel"], d["state"]) for d in shown["deliveries"]] == [
        ("push", "dead"),
        ("email", "sent"),
    ]
    [mail] = peers.smtp.messages
    assert mail.rcpt_tos == ["trader@example.com"]
    assert "EURUSD" in mail.message["Subject"]
    recipient = await runtime.recipients.get("trader-1")
    assert recipient is not None and recipient.push_subscriptions == ()
    metrics = generate_latest(runtime.metrics.registry).decode()
    assert "push_subscription_expired_total 1.0" in metrics
    assert 'messages_sent_total{channel="email"} 1.0' in metrics


async def test_push_is_delivered_encrypted_and_urgent(
    wired_api: tuple[AsyncClient, Runtime], peers: Peers
) -> None:
    client, runtime = wired_api
    browser = peers.push.subscribe()
    await client.put("/api/v1/recipients/trader-2", json={"channels": ["push"]})
    await client.post("/api/v1/recipients/trader-2/push-subscriptions", json=browser.info())

    notification_id = await notify(client, "trader-2")
    await runtime.worker().drain()

    [push] = peers.push.received_for(browser.id)
    assert "EURUSD" in push.notification["title"] + push.notification["body"]
    assert push.headers["urgency"] == "high"
    shown = (await client.get(f"/api/v1/notifications/{notification_id}")).json()
    assert (shown["status"], shown["channel"]) == ("delivered", "push")


async def test_a_blocked_bot_marks_the_chat_unreachable_and_email_takes_over(
    wired_api: tuple[AsyncClient, Runtime], peers: Peers
) -> None:
    client, runtime = wired_api
    peers.telegram.blocked_chats.add("777")
    await client.put(
        "/api/v1/recipients/trader-3",
        json={
            "email": "t3@example.com",
            "telegram_chat_id": 777,
            "channels": ["telegram", "email"],
        },
    )
    first = await notify(client, "trader-3")
    await runtime.worker().drain()

    shown = (await client.get(f"/api/v1/notifications/{first}")).json()
    assert (shown["status"], shown["channel"]) == ("delivered", "email")
    recipient = (await client.get("/api/v1/recipients/trader-3")).json()
    assert recipient["telegram_unreachable_reason"] == "blocked"

    # The next alert does not try Telegram at all.
    second = await notify(client, "trader-3")
    await runtime.worker().drain()
    shown = (await client.get(f"/api/v1/notifications/{second}")).json()
    assert [d["channel"] for d in shown["deliveries"]] == ["email"]
    assert len(peers.telegram.requests_for("sendMessage")) == 1


async def test_telegram_alert_arrives_as_valid_markdown_and_a_migrated_group_is_followed(
    wired_api: tuple[AsyncClient, Runtime], peers: Peers
) -> None:
    client, runtime = wired_api
    peers.telegram.migrated_chats["-55"] = -100555
    await client.put("/api/v1/recipients/desk", json={"telegram_chat_id": -55})

    notification_id = await notify(client, "desk", channels=["telegram"])
    await runtime.worker().drain()

    shown = (await client.get(f"/api/v1/notifications/{notification_id}")).json()
    assert (shown["status"], shown["channel"]) == ("delivered", "telegram")
    [message] = peers.telegram.messages
    assert message["chat"]["id"] == -100555
    assert "EURUSD" in message["text"]
    recipient = (await client.get("/api/v1/recipients/desk")).json()
    assert recipient["telegram_chat_id"] == "-100555"


async def test_no_usable_channel_fails_the_notification_at_once(
    wired_api: tuple[AsyncClient, Runtime],
) -> None:
    client, _ = wired_api
    await client.put("/api/v1/recipients/ghost", json={"opted_out": ["email"]})
    notification_id = await notify(client, "ghost")
    shown = (await client.get(f"/api/v1/notifications/{notification_id}")).json()
    assert shown["status"] == "failed"
    assert "no usable address" in shown["error"]
    assert shown["deliveries"] == []


async def test_template_and_recipient_errors(wired_api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = wired_api
    await client.put("/api/v1/recipients/u", json={"email": "u@example.com"})
    missing = await client.post(
        "/api/v1/notifications",
        json={"recipients": ["u"], "template": "position_sl_failed", "vars": {"symbol": "X"}},
    )
    assert missing.status_code == 400
    assert missing.json()["detail"]["missing_variables"] == sorted(set(SL_VARS) - {"symbol"})
    unknown = await client.post(
        "/api/v1/notifications", json={"recipients": ["u"], "template": "nope", "vars": {}}
    )
    assert unknown.status_code == 404
    nobody = await client.post(
        "/api/v1/notifications",
        json={"recipients": ["u", "x1", "x2"], "template": "position_sl_failed", "vars": SL_VARS},
    )
    assert nobody.status_code == 404
    assert nobody.json()["detail"]["recipients"] == ["x1", "x2"]


async def test_idempotency_key_never_notifies_twice(wired_api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = wired_api
    await client.put("/api/v1/recipients/u", json={"email": "u@example.com"})
    first = await notify(client, "u", idempotency_key="order-1-sl")
    again = await notify(client, "u", idempotency_key="order-1-sl")
    assert first == again


async def test_the_owner_test_endpoint(
    wired_api: tuple[AsyncClient, Runtime], peers: Peers
) -> None:
    client, runtime = wired_api
    await client.put("/api/v1/recipients/owner-test", json={"telegram_chat_id": 4242})
    body = {
        "user_id": "owner-test",
        "channel": "telegram",
        "template_name": "position_sl_failed",
        "template_vars": SL_VARS,
    }
    stop = asyncio.Event()
    worker = asyncio.create_task(runtime.worker(poll_interval=0.05).run(stop))
    try:
        response = await client.post("/api/v1/messaging/test", json=body)
    finally:
        stop.set()
        await worker
    assert response.status_code == 202
    result = response.json()
    assert (result["status"], result["error"]) == ("sent", None)
    assert result["message_id"] == "1"
    assert result["delivery_time_ms"] > 0

    _, admin_key = await runtime.api_keys.create("admin", Role.ADMIN)
    as_admin = {"Authorization": f"Bearer {admin_key}"}
    assert (
        await client.post("/api/v1/messaging/test", json=body, headers=as_admin)
    ).status_code == 403
    no_key = {"Authorization": ""}
    assert (
        await client.post("/api/v1/messaging/test", json=body, headers=no_key)
    ).status_code == 401
    unknown = await client.post("/api/v1/messaging/test", json={**body, "user_id": "nobody"})
    assert unknown.status_code == 404
    no_email = await client.post("/api/v1/messaging/test", json={**body, "channel": "email"})
    assert no_email.status_code == 400
    no_vars = await client.post("/api/v1/messaging/test", json={**body, "template_vars": {}})
    assert no_vars.status_code == 400
    malformed = await client.post("/api/v1/messaging/test", json={"user_id": "owner-test"})
    assert malformed.status_code == 422
