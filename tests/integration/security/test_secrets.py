"""No secret anywhere: a full run with faults, every log line, response and row searched.

The app runs with every credential set (bot token, SMTP password, VAPID private key,
webhook secret, signing key, API keys) against real peers over loopback, and with the
worker and the scheduler running as in ``herald serve``. It sends over every channel
while the peers fail in every way they can (Telegram 403, 400, 429 and 502 answers,
one quoting the token back, then refusing the token; SMTP 550 quoting the password,
554, then refusing the login; push 410, 413 and 500, and a subscription for another
key), and the API is asked for its errors (no key, a wrong key, a viewer writing,
bad bodies, unknown ids, a wrong webhook secret, forged links and presses). Then the
captured logs (herald's structlog JSON and the standard library's, at debug level),
every response's headers and body, and every row of every table are searched for
each secret. The other half of "stored hashed": the api_keys rows hold only digests.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select

from herald.auth import Role
from herald.channels.push import vapid
from herald.config import load_settings
from herald.db.tables import api_keys, deliveries, metadata
from herald.runtime import Runtime
from tests.support.alerts import SL_VARS
from tests.support.app import serve
from tests.support.fake_telegram import (
    FakeTelegram,
    bad_request,
    forbidden,
    server_error,
    too_many_requests,
)
from tests.support.push_service import PushService
from tests.support.smtp import SMTPTestServer

SMTP_PASSWORD = "smtp-Pa55-9Qx7-never-in-a-log"
SECRET_KEY = "signing-key-for-the-secrets-test-0123456789abcdef"
WEBHOOK_SECRET = "webhook-secret-for-the-secrets-test_42"
PUBLIC = "https://herald.example.com"
# Loggers of the test's peers (aiosmtpd, the aiohttp servers), not of herald.
PEERS = ("mail.log", "aiohttp.access", "aiohttp.server", "aiohttp.web")


@pytest.fixture
def smtp() -> Iterator[SMTPTestServer]:
    with SMTPTestServer(security="none", username="herald", password=SMTP_PASSWORD) as server:
        yield server


def forms(secret: str) -> set[str]:
    """A secret as it could leak: whole, URL-encoded, and (a token) its secret half."""
    found = {secret, quote(secret, safe="")}
    if ":" in secret:
        found.add(secret.split(":", 1)[1])
    return found


async def all_rows(runtime: Runtime) -> str:
    """Every row of every table, as text."""
    parts = []
    async with runtime.db.read() as conn:
        for table in metadata.sorted_tables:
            for row in (await conn.execute(select(table))).all():
                parts.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(parts)


async def settled(runtime: Runtime, seconds: float = 20.0) -> None:
    """Wait until nothing is running and nothing due has not been tried at least once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    d = deliveries.c
    while True:
        async with runtime.db.read() as conn:
            busy = (
                await conn.execute(
                    select(d.id).where(
                        (d.state == "running") | ((d.state == "pending") & (d.attempts == 0))
                    )
                )
            ).first()
        if busy is None:
            return
        assert loop.time() < deadline, "deliveries never settled"
        await asyncio.sleep(0.05)


async def test_no_secret_reaches_a_log_line_a_response_or_a_row(
    database_url: str,
    smtp: SMTPTestServer,
    json_logs: pytest.CaptureFixture[str],
) -> None:
    private, public = vapid.generate_keypair()
    responses: list[str] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        responses.append(f"{response.status_code} {dict(response.headers)!r} {response.text}")

    async with FakeTelegram() as telegram, PushService() as push:
        token = telegram.token
        settings = load_settings(
            env="dev",
            log_format="json",
            log_level="debug",
            database_url=database_url,
            secret_key=SECRET_KEY,
            public_url=PUBLIC,
            telegram_bot_token=token,
            telegram_api_url=telegram.url,
            telegram_updates="webhook",
            telegram_webhook_secret=WEBHOOK_SECRET,
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_security="none",
            smtp_username="herald",
            smtp_password=SMTP_PASSWORD,
            email_from="herald <alerts@example.com>",
            vapid_private_key=private,
            vapid_public_key=public,
            vapid_subject="mailto:ops@example.com",
            push_allow_http_endpoints=True,
        )
        async with serve(settings, run_worker=True, run_scheduler=True) as (client, runtime):
            client.event_hooks["response"].append(keep)
            owner_key = client.headers["Authorization"].removeprefix("Bearer ")
            _, viewer_key = await runtime.api_keys.create("viewer", Role.VIEWER)
            await exercise(client, runtime, telegram, push, smtp, viewer_key)
            rows = await all_rows(runtime)
            async with runtime.db.read() as conn:
                stored_keys = (await conn.execute(select(api_keys))).all()

    logs = json_logs.readouterr()
    text = herald_lines(logs.err + logs.out)
    secrets = {
        "bot token": token,
        "SMTP password": SMTP_PASSWORD,
        "VAPID private key": private,
        "webhook secret": WEBHOOK_SECRET,
        "signing key": SECRET_KEY,
        "owner API key": owner_key,
        "viewer API key": viewer_key,
    }
    for where, haystack in (("logs", text), ("responses", "\n".join(responses)), ("rows", rows)):
        for name, secret in secrets.items():
            for form in forms(secret):
                assert form not in haystack, f"the {name} is in the {where}"

    # The run did go through the faults it was meant to (else it proves little).
    events = {e["event"] for e in log_lines_of(text)}
    assert {"email_auth_failed", "telegram_webhook_refused", "callback_rejected"} <= events
    assert "<token>" in rows or "<bot-token>" in text  # the token was quoted back, and scrubbed
    assert "550" in rows and "554" in rows and "535" in rows
    assert any(s in rows for s in ("subscription_expired", "410"))
    # API keys: one row each, only a SHA-256 digest and the shown prefix.
    assert {r.key_hash for r in stored_keys} == {
        hashlib.sha256(k.encode()).hexdigest() for k in (owner_key, viewer_key)
    }


def herald_lines(captured: str) -> str:
    """The captured output without the peers' own log lines: the test SMTP server logs
    the replies it sends (quoting the password, as told) and the AUTH it receives."""
    kept = []
    for line in captured.splitlines():
        if line.startswith("{") and json.loads(line).get("logger", "").startswith(PEERS):
            continue
        kept.append(line)
    return "\n".join(kept)


def log_lines_of(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


async def exercise(
    client: httpx.AsyncClient,
    runtime: Runtime,
    telegram: FakeTelegram,
    push: PushService,
    smtp: SMTPTestServer,
    viewer_key: str,
) -> None:
    """Sends over every channel while the peers fail, and asks the API for its errors."""
    token = telegram.token
    # Telegram: blocked, a 400 quoting the token back, a 502 then a 429, one fine.
    telegram.script(1002, forbidden())
    telegram.script(1003, server_error(502), too_many_requests(1))
    telegram.script(1004, bad_request(f"Bad Request: chat not found for bot{token}/sendMessage"))
    # Email: a 550 quoting the password, a 554 at the end of DATA.
    smtp.rcpt_replies["refused@example.com"] = f"550 5.1.1 no such user (you said {SMTP_PASSWORD})"
    smtp.data_reply = None
    # Push: expired, too large, failing.
    subs = {name: push.subscribe() for name in ("fine", "expired", "large", "failing", "foreign")}
    push.answer(subs["expired"].id, 410)
    push.answer(subs["large"].id, 413)
    push.answer(subs["failing"].id, 500, times=None)
    foreign = push.subscribe(application_server_key=vapid.generate_keypair()[1])

    people: dict[str, dict[str, Any]] = {
        "fine": {"email": "fine@example.com", "telegram_chat_id": 1001},
        "blocked": {"email": "refused@example.com", "telegram_chat_id": 1002},
        "flaky": {"email": "flaky@example.com", "telegram_chat_id": 1003},
        "echo": {"telegram_chat_id": 1004, "email": "echo@example.com"},
        "expired": {"email": "exp@example.com"},
        "large": {},
        "failing": {"email": "refused@example.com"},
        "foreign": {},
    }
    for name, fields in people.items():
        assert (await client.put(f"/api/v1/recipients/{name}", json=fields)).status_code in (
            200,
            201,
        )
    for name in ("fine", "expired", "large", "failing"):
        await client.post(f"/api/v1/recipients/{name}/push-subscriptions", json=subs[name].info())
    await client.post("/api/v1/recipients/foreign/push-subscriptions", json=foreign.info())

    for name in people:
        for channels in (["telegram"], ["email"], ["push"], []):
            await client.post(
                "/api/v1/notifications",
                json={
                    "recipients": [name],
                    "template": "position_sl_failed",
                    "vars": SL_VARS,
                    "channels": channels,
                },
            )
    smtp.data_reply = "554 5.7.1 message refused"
    await client.post(
        "/api/v1/campaigns",
        json={
            "template": "position_sl_failed",
            "vars": SL_VARS,
            "channel": "email",
            "audience": "all",
        },
    )
    await settled(runtime)
    smtp.data_reply = None
    for channel in ("telegram", "email", "push"):
        await client.post(
            "/api/v1/messaging/test",
            json={
                "user_id": "blocked",
                "channel": channel,
                "template_name": "position_sl_failed",
                "template_vars": SL_VARS,
            },
        )

    # The webhook: a wrong secret, a forged press, a body that is not JSON.
    hook = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    press = telegram.push_callback(-100123, "c1:1:0:forgedforgedforg", user_id=5)
    await client.post(
        "/telegram/webhook", json=press, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
    )
    await client.post("/telegram/webhook", json=press, headers=hook)
    await client.post("/telegram/webhook", content=b"{not json", headers=hook)
    # Tracked links: a good one, forged ones.
    link = (await client.post("/api/v1/links", json={"target_url": "https://example.com/x"})).json()
    await client.get(link["url"].removeprefix(PUBLIC))
    await client.get("/r/l1.AAAAAAAAAAAAAAAAAAAAAA")
    # The API's errors.
    bare = {"Authorization": ""}
    await client.get("/api/v1/queue/stats", headers=bare)
    await client.get("/api/v1/queue/stats", headers={"Authorization": "Bearer hk_wrong-key"})
    viewer = {"Authorization": f"Bearer {viewer_key}"}
    await client.post("/api/v1/deliveries", json={"channel": "email"}, headers=viewer)
    await client.post("/api/v1/deliveries", json={"channel": "nope", "recipient": "x"})
    await client.post(
        "/api/v1/notifications", json={"recipients": ["fine"], "template": "position_sl_failed"}
    )
    await client.get("/api/v1/deliveries/999999")
    await client.post("/api/v1/templates/nope/preview", json={})
    await client.post(
        "/api/v1/deliveries", content=b"\xff", headers={"Content-Type": "application/json"}
    )

    # Then the credentials themselves stop working: the SMTP login is refused, the bot
    # token is revoked.
    smtp.password = "rotated-on-the-server"
    await runtime.senders["email"].close()  # the pooled, logged-in connections go
    telegram.tokens.discard(token)
    for name in ("fine", "flaky"):
        for channels in (["email"], ["telegram"]):
            await client.post(
                "/api/v1/notifications",
                json={
                    "recipients": [name],
                    "template": "position_sl_failed",
                    "vars": SL_VARS,
                    "channels": channels,
                },
            )
    await settled(runtime)

    # Everything the API shows about what happened.
    for path in (
        "/api/v1/deliveries?limit=1000",
        "/api/v1/dead-letters?limit=1000",
        "/api/v1/queue/stats",
        "/api/v1/sandbox/messages",
        "/api/v1/recipients/blocked",
        "/api/v1/schedules",
        "/api/v1/analytics/promos",
        "/readyz",
        "/metrics",
        "/openapi.json",
    ):
        assert (await client.get(path)).status_code == 200, path
    for ref in range(1, 40):
        await client.get(f"/api/v1/notifications/{ref}")
