"""Text PostgreSQL refuses (a NUL character) is a 422 naming the field on both
databases, in bodies, query parameters and paths alike; the schema fuzz found these
as 500s on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from herald.config import load_settings
from tests.support.alerts import SL_VARS
from tests.support.app import serve

NUL = "a\u0000b"
VARS = {**SL_VARS, "error": "🚀 κόσμος \u2028 \u202e"}


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[AsyncClient]:
    async with serve(load_settings(env="dev", database_url=database_url)) as (c, _runtime):
        yield c


async def test_a_nul_is_refused_where_it_was_given(client: AsyncClient) -> None:
    test_send = await client.post(
        "/api/v1/messaging/test",
        json={"user_id": NUL, "channel": "email", "template_name": "x", "template_vars": {}},
    )
    assert test_send.status_code == 422
    assert test_send.json()["detail"][0]["loc"] == ["body", "user_id"]

    dead = await client.get("/api/v1/dead-letters", params={"error": NUL})
    assert dead.status_code == 422
    assert dead.json()["detail"][0]["loc"] == ["query", "error"]

    promo = await client.post(
        "/api/v1/promos", json={"title": "Offer", "body": "deep", "buttons": [{"text": NUL}]}
    )
    assert promo.status_code == 422
    assert promo.json()["detail"][0]["loc"][:2] == ["body", "buttons"]

    recipient = await client.put("/api/v1/recipients/u1", json={"locale": NUL})
    assert recipient.status_code == 422
    assert recipient.json()["detail"][0]["loc"] == ["body", "locale"]


async def test_everything_else_is_stored_as_given(client: AsyncClient) -> None:
    odd = "🚀 κόσμος \u2028 \u202e"  # astral, Greek, a line separator, an RTL override
    put = await client.put("/api/v1/recipients/u2", json={"email": "u2@example.com"})
    assert put.status_code in (200, 201)
    batch = await client.post(
        "/api/v1/notifications/batch",
        json={"items": [{"recipient": "u2", "template": "position_sl_failed", "vars": VARS}]},
    )
    [result] = batch.json()["results"]
    shown = (await client.get(f"/api/v1/notifications/{result['id']}")).json()
    [attempt] = shown["deliveries"]
    delivery = (await client.get(f"/api/v1/deliveries/{attempt['id']}")).json()
    assert odd in delivery["payload"]["text"]


async def test_a_time_with_no_utc_form_is_refused(client: AsyncClient) -> None:
    """0001-01-01T00:00+05:00 is before the first UTC instant Python has: a 422, where
    converting it was a 500 (found by the schema fuzz)."""
    for params, name in (
        ({"since": "0001-01-01T00:00:00+05:00"}, "since"),
        ({"until": "9999-12-31T23:59:59-05:00"}, "until"),
    ):
        response = await client.get("/api/v1/dead-letters", params=params)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", name]
    at_the_edge = await client.get("/api/v1/deliveries", params={"since": "0001-01-01T00:00:00Z"})
    assert at_the_edge.status_code == 200
