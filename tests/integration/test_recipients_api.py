"""Recipients and push subscriptions over the API, on both backends."""

from __future__ import annotations

import base64

import pytest
from httpx import AsyncClient

from herald.runtime import Runtime

P256DH = base64.urlsafe_b64encode(b"\x04" + b"\x01" * 64).decode().rstrip("=")
AUTH = base64.urlsafe_b64encode(b"\x02" * 16).decode().rstrip("=")


def sub(endpoint: str = "https://push.example.com/send/abc") -> dict[str, object]:
    return {"endpoint": endpoint, "keys": {"p256dh": P256DH, "auth": AUTH}}


async def test_put_get_replace_and_delete(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    body = {
        "email": "trader@example.com",
        "telegram_chat_id": 123456789,
        "locale": "de",
        "channels": ["telegram", "email"],
        "opted_out": ["push"],
    }
    created = await client.put("/api/v1/recipients/u-1", json=body)
    assert created.status_code == 201
    got = (await client.get("/api/v1/recipients/u-1")).json()
    assert (got["email"], got["telegram_chat_id"], got["locale"]) == (
        "trader@example.com",
        "123456789",
        "de",
    )
    assert (got["channels"], got["opted_out"]) == (["telegram", "email"], ["push"])

    replaced = await client.put("/api/v1/recipients/u-1", json={"email": "new@example.com"})
    assert replaced.status_code == 200
    assert replaced.json()["telegram_chat_id"] is None  # PUT replaces

    assert (await client.delete("/api/v1/recipients/u-1")).status_code == 204
    assert (await client.get("/api/v1/recipients/u-1")).status_code == 404
    assert (await client.delete("/api/v1/recipients/u-1")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"telegram_chat_id": "12ab"}, "telegram_chat_id"),
        ({"locale": "german!"}, "locale"),
        ({"channels": ["fax"]}, "channels"),
        ({"channels": ["email", "email"]}, "channels"),
    ],
)
async def test_invalid_recipient_fields_are_named(
    api: tuple[AsyncClient, Runtime], body: dict[str, object], field: str
) -> None:
    client, _ = api
    response = await client.put("/api/v1/recipients/u-2", json=body)
    assert response.status_code == 422
    assert {tuple(e["loc"][:2]) for e in response.json()["detail"]} == {("body", field)}


async def test_push_subscriptions_are_added_moved_and_removed(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = api
    for who in ("alice", "bob"):
        await client.put(f"/api/v1/recipients/{who}", json={})
    added = await client.post("/api/v1/recipients/alice/push-subscriptions", json=sub())
    assert added.status_code == 201
    # The same browser subscribing as bob moves the subscription.
    moved = await client.post("/api/v1/recipients/bob/push-subscriptions", json=sub())
    alice = await runtime.recipients.get("alice")
    bob = await runtime.recipients.get("bob")
    assert alice is not None and bob is not None
    assert alice.push_subscriptions == ()
    assert [s.endpoint for s in bob.push_subscriptions] == ["https://push.example.com/send/abc"]
    assert bob.address("push") == "https://push.example.com/send/abc"

    sub_id = moved.json()["id"]
    gone = await client.delete(f"/api/v1/recipients/bob/push-subscriptions/{sub_id}")
    assert gone.status_code == 204
    again = await client.delete(f"/api/v1/recipients/bob/push-subscriptions/{sub_id}")
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("subscription", "field"),
    [
        (sub("ftp://push.example.com/x"), "endpoint"),
        (sub("http://push.example.com/x"), "endpoint"),
        ({**sub(), "keys": {"p256dh": "short", "auth": AUTH}}, "keys"),
        ({**sub(), "keys": {"p256dh": P256DH, "auth": "AAAA"}}, "keys"),
        ({"endpoint": "https://push.example.com/x"}, "keys"),
    ],
)
async def test_invalid_push_subscriptions_are_named(
    api: tuple[AsyncClient, Runtime], subscription: dict[str, object], field: str
) -> None:
    client, _ = api
    await client.put("/api/v1/recipients/carol", json={})
    response = await client.post("/api/v1/recipients/carol/push-subscriptions", json=subscription)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", field]


async def test_a_new_chat_id_clears_the_unreachable_mark(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = api
    await client.put("/api/v1/recipients/dave", json={"telegram_chat_id": 42})
    assert await runtime.recipients.mark_telegram_unreachable("42", "blocked") == 1
    marked = (await client.get("/api/v1/recipients/dave")).json()
    assert marked["telegram_unreachable_reason"] == "blocked"
    dave = await runtime.recipients.get("dave")
    assert dave is not None and dave.address("telegram") is None

    await client.put("/api/v1/recipients/dave", json={"telegram_chat_id": 43})
    dave = await runtime.recipients.get("dave")
    assert dave is not None and dave.address("telegram") == "43"
