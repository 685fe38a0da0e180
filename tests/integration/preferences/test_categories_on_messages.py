"""Campaigns and templates carry a category, stored with each delivery for the gate."""

from __future__ import annotations

from httpx import AsyncClient

from herald.queue import DeliveryFilter
from herald.queue.admin import list_deliveries
from herald.runtime import Runtime
from tests.integration.preferences.conftest import start_promo
from tests.integration.test_messaging import SL_VARS

ENTRY_VARS = {k: v for k, v in SL_VARS.items() if k not in ("sl_price", "position_id")}


async def test_a_campaign_stores_its_category_on_itself_and_its_deliveries(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = api
    await client.post("/api/v1/categories", json={"key": "promos", "name": "Promotions"})
    for i in range(3):
        await client.put(f"/api/v1/recipients/c{i}", json={"telegram_chat_id": 500 + i})
    body = {
        "template": "position_entry_failed",
        "vars": ENTRY_VARS,
        "channel": "telegram",
        "audience": "all",
        "category": "promos",
    }
    unknown = await client.post("/api/v1/campaigns", json={**body, "category": "nope"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "category"]

    started = await client.post("/api/v1/campaigns", json=body)
    assert started.status_code == 202, started.text
    campaign_id = started.json()["id"]
    shown = (await client.get(f"/api/v1/campaigns/{campaign_id}")).json()
    assert shown["category"] == "promos"
    queued = await list_deliveries(runtime.queue, DeliveryFilter(campaign=str(campaign_id)))
    ids = {r.id for r in await runtime.recipients.page(0, 10)}
    marks = [d.payload["audience"] for d in queued]
    assert {m["recipient_id"] for m in marks} == ids
    # The position alerts are required: even in a campaign the gate lets them pass.
    assert all(m["category"] == "promos" and m["gated"] is False for m in marks)


async def test_a_required_alert_carries_no_mark(api: tuple[AsyncClient, Runtime]) -> None:
    client, runtime = api
    await client.put("/api/v1/recipients/t1", json={"telegram_chat_id": 42})
    sent = await client.post(
        "/api/v1/notifications",
        json={"recipients": ["t1"], "template": "position_sl_failed", "vars": SL_VARS},
    )
    assert sent.status_code == 202, sent.text
    (delivery,) = await list_deliveries(runtime.queue, DeliveryFilter())
    assert "audience" not in delivery.payload


async def test_a_template_category_marks_campaign_and_checked_messages(
    prefs_api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = prefs_api
    await client.put("/api/v1/recipients/p1", json={"telegram_chat_id": 77})
    recipient = await runtime.recipients.get("p1")
    assert recipient is not None
    await start_promo(client, ["p1"])
    digest = await client.post(
        "/api/v1/notifications",
        json={"recipients": ["p1"], "template": "digest", "vars": {"topic": "risk"}},
    )
    assert digest.status_code == 202, digest.text
    by_lane = {
        d.lane: d.payload["audience"]
        for d in await list_deliveries(runtime.queue, DeliveryFilter())
    }
    assert by_lane[1] == {"recipient_id": recipient.id, "category": "promos", "gated": True}
    assert by_lane[0] == {"recipient_id": recipient.id, "category": "education", "gated": True}
    listed = {t["name"]: t for t in (await client.get("/api/v1/templates")).json()}
    assert (listed["digest"]["category"], listed["digest"]["checked"]) == ("education", True)
    assert listed["position_sl_failed"]["required"] is True
