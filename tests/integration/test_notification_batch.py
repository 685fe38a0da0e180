"""Notifications accepted together: the batch endpoint, concurrent single requests (one
transaction for many), and a group whose data the database refuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from herald.config import load_settings
from herald.db.tables import deliveries, notifications
from herald.messaging.intake import Accepted, NewNotification
from herald.runtime import Runtime
from tests.support.alerts import SL_VARS
from tests.support.app import serve


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[tuple[AsyncClient, Runtime]]:
    async with serve(load_settings(env="dev", database_url=database_url)) as pair:
        client, _ = pair
        for name in ("a", "b", "c"):
            await client.put(f"/api/v1/recipients/{name}", json={"email": f"{name}@example.com"})
        await client.put("/api/v1/recipients/tg", json={"telegram_chat_id": 777})
        yield pair


def item(recipient: str, **extra: object) -> dict[str, object]:
    return {"recipient": recipient, "template": "position_sl_failed", "vars": SL_VARS, **extra}


async def stored(runtime: Runtime) -> tuple[int, int]:
    async with runtime.db.read() as conn:
        n = await conn.scalar(select(func.count()).select_from(notifications))
        d = await conn.scalar(
            select(func.count())
            .select_from(deliveries)
            .where(deliveries.c.notification_id.is_not(None))
        )
    return int(n or 0), int(d or 0)


async def test_each_item_gets_its_own_result_and_bad_ones_hold_back_nothing(
    app: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = app
    items = [
        item("a"),
        item("nobody"),
        item("b", vars={"symbol": "X"}),
        item("c", channels=["fax"]),
        item("tg", template="no_such_template"),
        item("tg", idempotency_key="order-7-sl", channels=["telegram"]),
        item("tg", idempotency_key="order-7-sl", channels=["telegram"]),
        "not an object",
        item("c", priority="campaign"),
    ]
    response = await client.post("/api/v1/notifications/batch", json={"items": items})
    assert response.status_code == 200
    body = response.json()
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert (body["accepted"], body["refused"]) == (4, 5)

    def error(i: int) -> dict[str, object]:
        err = results[i]["error"]
        assert results[i]["id"] is None
        assert err is not None
        return err  # type: ignore[no-any-return]

    assert (error(1)["status"], error(1)["loc"]) == (404, ["body", "items", 1, "recipient"])
    assert (error(2)["status"], error(2)["loc"]) == (400, ["body", "items", 2, "vars"])
    assert error(2)["missing_variables"] == sorted(set(SL_VARS) - {"symbol"})
    assert (error(3)["status"], error(3)["loc"][:4]) == (422, ["body", "items", 3, "channels"])
    assert (error(4)["status"], error(4)["loc"]) == (404, ["body", "items", 4, "template"])
    assert (error(7)["status"], error(7)["loc"]) == (422, ["body", "items", 7])
    first, repeat = results[5], results[6]
    assert first["created"] is True and repeat["created"] is False
    assert first["id"] == repeat["id"]
    assert all(results[i]["created"] is True for i in (0, 8))
    assert await stored(runtime) == (3, 3)  # the repeat is the first one

    again = await client.post("/api/v1/notifications/batch", json={"items": [items[5]]})
    assert again.json()["results"][0] == {**first, "index": 0, "created": False}
    shown = (await client.get(f"/api/v1/notifications/{results[8]['id']}")).json()
    assert (shown["priority"], shown["channel"], shown["status"]) == (
        "campaign",
        "email",
        "pending",
    )
    assert await stored(runtime) == (3, 3)  # the repeat is the first one


async def test_the_batch_as_a_whole_is_checked_by_its_schema(
    app: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = app
    too_many = await client.post("/api/v1/notifications/batch", json={"items": [item("a")] * 1001})
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["loc"] == ["body", "items"]
    empty = await client.post("/api/v1/notifications/batch", json={"items": []})
    assert empty.status_code == 422
    nul = await client.post(
        "/api/v1/notifications/batch", json={"items": [item("a", idempotency_key="k\u0000")]}
    )
    assert nul.json()["results"][0]["error"]["loc"] == ["body", "items", 0, "idempotency_key"]
    assert await stored(runtime) == (0, 0)


async def test_concurrent_requests_are_each_stored_once_with_their_delivery(
    app: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = app

    async def one(i: int) -> int:
        body = {
            "recipients": ["abc"[i % 3]],
            "template": "position_sl_failed",
            "vars": {**SL_VARS, "position_id": f"p{i}"},
            "idempotency_key": f"order-{i % 150}",
        }
        response = await client.post("/api/v1/notifications", json=body)
        assert response.status_code == 202, response.text
        return int(response.json()["notifications"][0]["id"])

    ids = await asyncio.gather(*(one(i) for i in range(300)))
    # 150 keys x 3 recipients: key i%150 with recipient i%3 -> 150 distinct pairs.
    assert len(set(ids)) == 150
    assert await stored(runtime) == (150, 150)
    async with runtime.db.read() as conn:
        linked = await conn.scalar(
            select(func.count())
            .select_from(notifications)
            .join(deliveries, deliveries.c.id == notifications.c.delivery_id)
            .where(deliveries.c.notification_id == notifications.c.id)
        )
    assert linked == 150


async def test_a_group_the_database_refuses_fails_alone(database_url: str) -> None:
    """PostgreSQL refuses an idempotency key over its column's 255 characters (SQLite
    keeps it): the requests that shared the transaction are written without it."""
    async with serve(load_settings(env="dev", database_url=database_url)) as (client, runtime):
        await client.put("/api/v1/recipients/a", json={"email": "a@example.com"})

        def new(key: str | None = None) -> list[NewNotification]:
            return [NewNotification("a", "position_sl_failed", SL_VARS, idempotency_key=key)]

        results = await asyncio.gather(
            *(runtime.intake.accept(new()) for _ in range(5)),
            runtime.intake.accept(new("x" * 300)),
            *(runtime.intake.accept(new()) for _ in range(5)),
            return_exceptions=True,
        )
        postgres = runtime.db.dialect == "postgresql"
        bad = results[5]
        assert isinstance(bad, Exception) if postgres else isinstance(bad[0], Accepted)  # type: ignore[index]
        good = results[:5] + results[6:]
        assert all(isinstance(r, list) and isinstance(r[0], Accepted) for r in good)
        assert (await stored(runtime))[0] == (10 if postgres else 11)
