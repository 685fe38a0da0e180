"""Categories and recipients' preferences over the API, on both backends."""

from __future__ import annotations

from httpx import AsyncClient

from herald.channel import Channel
from herald.runtime import Runtime


async def _category(client: AsyncClient, key: str) -> None:
    created = await client.post("/api/v1/categories", json={"key": key, "name": key.title()})
    assert created.status_code == 201, created.text


async def test_categories_are_created_once_listed_and_read(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, _ = api
    body = {"key": "promos", "name": "Promotions", "description": "offers", "daily_cap": 2}
    created = await client.post("/api/v1/categories", json=body)
    assert created.status_code == 201
    assert created.json()["daily_cap"] == 2
    await _category(client, "education")
    again = await client.post("/api/v1/categories", json=body)
    assert again.status_code == 409
    listed = (await client.get("/api/v1/categories")).json()
    assert [c["key"] for c in listed] == ["education", "promos"]
    assert (await client.get("/api/v1/categories/promos")).json()["description"] == "offers"
    assert (await client.get("/api/v1/categories/nope")).status_code == 404
    bad = await client.post("/api/v1/categories", json={"key": "Bad Key", "name": "x"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "key"]


async def test_preferences_are_put_and_read_back(api: tuple[AsyncClient, Runtime]) -> None:
    client, runtime = api
    await _category(client, "promos")
    await _category(client, "signals")
    await client.put("/api/v1/recipients/u-1", json={"email": "u1@example.com"})
    fresh = (await client.get("/api/v1/recipients/u-1/preferences")).json()
    assert fresh["timezone"] is None and fresh["quiet_hours"] is None
    assert fresh["categories"]["promos"] == ["email", "push", "telegram"]

    body = {
        "timezone": "Europe/London",
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "categories": {"promos": ["telegram"]},
        "channels_off": ["push"],
    }
    put = await client.put("/api/v1/recipients/u-1/preferences", json=body)
    assert put.status_code == 200, put.text
    got = (await client.get("/api/v1/recipients/u-1/preferences")).json()
    assert got["timezone"] == "Europe/London"
    assert got["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert got["categories"] == {"promos": ["telegram"], "signals": ["email", "telegram"]}
    assert got["channels_off"] == ["push"] and got["unsubscribed_all"] is False

    recipient = await runtime.recipients.get("u-1")
    assert recipient is not None
    prefs = await runtime.preferences.get(recipient.id)
    assert not prefs.accepts("promos", Channel.EMAIL) and prefs.accepts("signals", Channel.EMAIL)


async def test_unsubscribe_and_resubscribe_keep_their_scope(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = api
    await _category(client, "promos")
    await _category(client, "signals")
    await client.put("/api/v1/recipients/u-2", json={})
    recipient = await runtime.recipients.get("u-2")
    assert recipient is not None
    store = runtime.preferences
    await store.unsubscribe(recipient.id, category=None, channel=None, source="telegram")
    assert (await store.get(recipient.id)).unsubscribed_all
    await store.resubscribe(recipient.id, category="promos", channel=None, source="telegram")
    prefs = await store.get(recipient.id)
    assert prefs.accepts("promos", Channel.TELEGRAM)
    assert not prefs.accepts("signals", Channel.TELEGRAM)
    await store.resubscribe(recipient.id, category=None, channel=None, source="telegram")
    assert (await store.get_many([recipient.id]))[recipient.id].accepts("signals", Channel.EMAIL)


async def test_bad_preferences_are_422_naming_the_field(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    await client.put("/api/v1/recipients/u-3", json={})
    cases = [
        ({"timezone": "Mars/Olympus"}, ["body", "timezone"]),
        ({"quiet_hours": {"start": "22:00", "end": "7pm"}}, ["body", "quiet_hours", "end"]),
        ({"quiet_hours": {"start": "07:00", "end": "07:00"}}, ["body", "quiet_hours"]),
        ({"categories": {"nope": ["email"]}}, ["body", "categories", "nope"]),
        ({"categories": {"x": ["fax"]}}, ["body", "categories", "x", 0]),
    ]
    for body, loc in cases:
        answer = await client.put("/api/v1/recipients/u-3/preferences", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"][0]["loc"] == loc, answer.json()
    missing = await client.get("/api/v1/recipients/nobody/preferences")
    assert missing.status_code == 404
