"""The HTTP API over a real app (lifespan, migrations, sandbox senders) on both backends."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from herald.auth import Role
from herald.config import load_settings
from herald.db.tables import api_keys
from herald.queue import Permanent, Result
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.ports import free_port

PROD_KEY = "k" * 40


def body(**kw: object) -> dict[str, object]:
    return {"channel": "telegram", "recipient": "12345", "payload": {"text": "hi"}, **kw}


async def test_health_ready_and_metrics(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ok")

    await client.post("/api/v1/deliveries", json=body(lane="campaign"))
    metrics = await client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'herald_queue_depth{lane="campaign",state="pending"} 1.0' in metrics.text


async def test_enqueue_send_through_the_sandbox_and_read_it_back(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = api
    created = await client.post("/api/v1/deliveries", json=body(idempotency_key="alert-1"))
    assert created.status_code == 202
    delivery_id = created.json()["id"]
    again = await client.post("/api/v1/deliveries", json=body(idempotency_key="alert-1"))
    assert again.json() == {"id": delivery_id, "created": False}

    assert (await runtime.worker().drain()).sent == 1

    delivery = (await client.get(f"/api/v1/deliveries/{delivery_id}")).json()
    assert delivery["state"] == "sent"
    assert delivery["provider_message_id"].startswith("sandbox-")
    inbox = (await client.get("/api/v1/sandbox/messages", params={"channel": "telegram"})).json()
    assert [(m["delivery_id"], m["recipient"], m["payload"]) for m in inbox] == [
        (delivery_id, "12345", {"text": "hi"})
    ]
    listed = (await client.get("/api/v1/deliveries", params={"state": "sent"})).json()
    assert [d["id"] for d in listed] == [delivery_id]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (body(channel="fax"), "channel"),
        (body(lane="urgent"), "lane"),
        (body(run_at="2026-01-01T10:00:00"), "run_at"),
        (body(recipient=""), "recipient"),
        ({"channel": "telegram"}, "recipient"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(
    api: tuple[AsyncClient, Runtime], payload: dict[str, object], field: str
) -> None:
    client, _ = api
    response = await client.post("/api/v1/deliveries", json=payload)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", field]]


async def test_a_query_text_postgresql_cannot_store_is_a_422_naming_it(
    api: tuple[AsyncClient, Runtime],
) -> None:
    """Found by the schema fuzz: a NUL in the sandbox's channel filter reached
    PostgreSQL, which refuses it, and came back a 500."""
    client, _ = api
    response = await client.get("/api/v1/sandbox/messages", params={"channel": "tele\x00gram"})
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", "channel"]]


async def test_unknown_delivery_is_404(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    response = await client.get("/api/v1/deliveries/999")
    assert (response.status_code, response.json()) == (404, {"detail": "delivery 999 not found"})


async def test_dead_letters_list_and_replay(api: tuple[AsyncClient, Runtime]) -> None:
    client, runtime = api
    ids = []
    for i, error in enumerate(["chat not found", "bot was blocked by the user"]):
        ids.append(
            (await client.post("/api/v1/deliveries", json=body(recipient=str(i)))).json()["id"]
        )
        [claimed] = await runtime.queue.claim("telegram", 1, "w")
        await runtime.queue.record([Result(claimed, Permanent(error))], "w")

    blocked = (await client.get("/api/v1/dead-letters", params={"error": "blocked"})).json()
    assert [(d["id"], d["last_error"]) for d in blocked] == [
        (ids[1], "bot was blocked by the user")
    ]

    assert (await client.post(f"/api/v1/dead-letters/{ids[1]}/replay")).json() == {"replayed": 1}
    missing = await client.post(f"/api/v1/dead-letters/{ids[1]}/replay")
    assert missing.status_code == 404

    refused = await client.post("/api/v1/dead-letters/replay", json={})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "all"]
    everything = await client.post("/api/v1/dead-letters/replay", json={"all": True})
    assert everything.json() == {"replayed": 1}

    stats = (await client.get("/api/v1/queue/stats")).json()
    assert stats["counts"] == [{"lane": "transactional", "state": "pending", "count": 2}]


async def test_readyz_reports_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    settings = load_settings(env="dev", database_url=f"sqlite:///{tmp_path}/fresh.db")
    async with serve(settings, role=None, auto_migrate=False) as (client, _):
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert "migrations pending" in response.json()["database"]


async def test_readyz_reports_an_unreachable_database_without_its_password() -> None:
    url = f"postgresql://herald:hunter2secret@127.0.0.1:{free_port()}/herald"
    settings = load_settings(env="dev", database_url=url)
    async with serve(settings, role=None, auto_migrate=False) as (client, _):
        response = await client.get("/readyz")
        assert (await client.get("/healthz")).status_code == 200
    assert response.status_code == 503
    assert "hunter2secret" not in response.text
    assert "cannot connect" in response.json()["database"]


async def test_every_api_route_needs_a_valid_key(database_url: str) -> None:
    settings = load_settings(env="prod", secret_key=PROD_KEY, database_url=database_url)
    async with serve(settings, role=None) as (client, runtime):
        missing = await client.get("/api/v1/queue/stats")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = {"Authorization": "Bearer hk_not-a-real-key"}
        assert (await client.get("/api/v1/queue/stats", headers=wrong)).status_code == 401
        key, secret = await runtime.api_keys.create("ops", Role.VIEWER)
        right = {"Authorization": f"Bearer {secret}"}
        assert (await client.get("/api/v1/queue/stats", headers=right)).status_code == 200
        assert (await client.get("/healthz")).status_code == 200  # probes need no key

        assert await runtime.api_keys.revoke(key.id)
        assert (await client.get("/api/v1/queue/stats", headers=right)).status_code == 401


async def test_a_viewer_reads_but_cannot_change_anything(database_url: str) -> None:
    settings = load_settings(env="dev", database_url=database_url)
    async with serve(settings, role=Role.VIEWER) as (client, _):
        assert (await client.get("/api/v1/deliveries")).status_code == 200
        refused = await client.post("/api/v1/deliveries", json=body())
        assert refused.status_code == 403
        assert refused.json() == {"detail": "this needs the admin role; this key has viewer"}
        replay = await client.post("/api/v1/dead-letters/replay", json={"all": True})
        assert replay.status_code == 403


async def test_keys_are_stored_hashed_and_shown_once(database_url: str) -> None:
    settings = load_settings(env="dev", database_url=database_url)
    async with serve(settings, role=None) as (_, runtime):
        key, secret = await runtime.api_keys.create("ci", Role.ADMIN)
        async with runtime.db.read() as conn:
            stored = (await conn.execute(select(api_keys))).one()
    assert secret.startswith("hk_") and len(secret) > 40
    assert secret not in {str(v) for v in stored}
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (key.prefix, stored.prefix) == (secret[:9], secret[:9])
