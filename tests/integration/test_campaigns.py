"""Templates over the API, and campaigns end to end against the fake Telegram server."""

from __future__ import annotations

from httpx import AsyncClient

from herald.runtime import Runtime
from tests.integration.conftest import Peers
from tests.integration.test_messaging import SL_VARS


async def test_templates_are_listed_and_previewed_for_every_channel(
    wired_api: tuple[AsyncClient, Runtime],
) -> None:
    client, _ = wired_api
    listed = {t["name"]: t for t in (await client.get("/api/v1/templates")).json()}
    assert {"position_entry_failed", "position_sl_failed", "position_tp_failed"} <= set(listed)
    assert sorted(listed["position_sl_failed"]["channels"]) == ["email", "push", "telegram"]
    assert set(listed["position_sl_failed"]["required_variables"]) == set(SL_VARS)

    preview = await client.post(
        "/api/v1/templates/position_sl_failed/preview", json={"vars": SL_VARS}
    )
    assert preview.status_code == 200
    rendered = preview.json()
    assert set(rendered) == {"email", "push", "telegram"}
    assert "EURUSD" in rendered["email"]["subject"]
    assert rendered["telegram"]["parse_mode"] == "MarkdownV2"

    missing = await client.post("/api/v1/templates/position_sl_failed/preview", json={"vars": {}})
    assert missing.status_code == 400
    assert missing.json()["detail"]["missing_variables"] == sorted(SL_VARS)
    unknown = await client.post("/api/v1/templates/nope/preview", json={"vars": {}})
    assert unknown.status_code == 404


async def setup_audience(client: AsyncClient, n: int) -> None:
    for i in range(n):
        await client.put(f"/api/v1/recipients/m{i}", json={"telegram_chat_id": 1000 + i})
    await client.put("/api/v1/recipients/email-only", json={"email": "e@example.com"})


async def test_a_campaign_reaches_everyone_with_an_address_once(
    wired_api: tuple[AsyncClient, Runtime], peers: Peers
) -> None:
    client, runtime = wired_api
    await setup_audience(client, 6)
    started = await client.post(
        "/api/v1/campaigns",
        json={
            "name": "weekly",
            "template": "position_entry_failed",
            "vars": {k: v for k, v in SL_VARS.items() if k not in ("sl_price", "position_id")},
            "channel": "telegram",
            "audience": "all",
        },
    )
    assert started.status_code == 202, started.text
    body = started.json()
    assert (body["queued"], body["skipped"]) == (6, 1)

    await runtime.worker().drain()

    shown = (await client.get(f"/api/v1/campaigns/{body['id']}")).json()
    assert shown["counts"] == {
        "queued": 0,
        "failed": 0,
        "sent": 6,
        "dead": 0,
        "cancelled": 0,
        "skipped": 0,
    }
    chats = sorted(m["chat"]["id"] for m in peers.telegram.messages)
    assert chats == [1000 + i for i in range(6)]
    deliveries = (await client.get("/api/v1/deliveries", params={"campaign": body["id"]})).json()
    assert {d["lane"] for d in deliveries} == {"campaign"}


async def test_a_cancelled_campaign_sends_nothing_more(
    wired_api: tuple[AsyncClient, Runtime], peers: Peers
) -> None:
    client, runtime = wired_api
    await setup_audience(client, 4)
    started = await client.post(
        "/api/v1/campaigns",
        json={
            "template": "position_sl_failed",
            "vars": SL_VARS,
            "channel": "telegram",
            "audience": ["m0", "m1", "m2"],
        },
    )
    campaign_id = started.json()["id"]
    assert started.json()["queued"] == 3

    cancelled = await client.post(f"/api/v1/campaigns/{campaign_id}/cancel")
    assert cancelled.json() == {"cancelled": 3}
    assert (await runtime.worker().drain()).sent == 0
    assert peers.telegram.messages == []
    shown = (await client.get(f"/api/v1/campaigns/{campaign_id}")).json()
    assert (shown["status"], shown["counts"]["cancelled"]) == ("cancelled", 3)
    assert (await client.post("/api/v1/campaigns/999/cancel")).status_code == 404


async def test_campaign_input_errors(wired_api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = wired_api
    base = {"template": "position_sl_failed", "vars": SL_VARS, "audience": "all"}
    bad_channel = await client.post("/api/v1/campaigns", json={**base, "channel": "fax"})
    assert bad_channel.status_code == 422
    assert bad_channel.json()["detail"][0]["loc"] == ["body", "channel"]
    missing = await client.post(
        "/api/v1/campaigns", json={**base, "channel": "email", "vars": {"symbol": "X"}}
    )
    assert missing.status_code == 400
    assert "side" in missing.json()["detail"]["missing_variables"]


async def test_campaign_email_is_capped_per_hour_and_carries_list_unsubscribe(
    wired_api: tuple[AsyncClient, Runtime], peers: Peers
) -> None:
    client, runtime = wired_api
    await client.put("/api/v1/recipients/reader", json={"email": "reader@example.com"})
    body = {
        "template": "position_sl_failed",
        "vars": SL_VARS,
        "channel": "email",
        "audience": ["reader"],
        "list_unsubscribe": "https://app.example.com/unsubscribe/{external_id}",
    }
    started = [(await client.post("/api/v1/campaigns", json=body)).json() for _ in range(11)]
    assert [s["queued"] for s in started] == [1] * 10 + [0]
    assert started[-1]["skipped"] == 1  # the 11th campaign mail within the hour

    # Transactional mail to the same address is never capped.
    response = await client.post(
        "/api/v1/notifications",
        json={"recipients": ["reader"], "template": "position_sl_failed", "vars": SL_VARS},
    )
    assert response.status_code == 202
    await runtime.worker().drain()

    assert len(peers.smtp.messages) == 11
    campaign_mail = [m.message for m in peers.smtp.messages if m.message["List-Unsubscribe"]]
    assert len(campaign_mail) == 10
    assert campaign_mail[0]["List-Unsubscribe"] == ("<https://app.example.com/unsubscribe/reader>")
