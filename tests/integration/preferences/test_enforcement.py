"""The dispatch gate: opt-outs skip, quiet hours and caps defer (or skip), required
alerts pass; on both backends, the sandbox senders and the fake clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from httpx import AsyncClient

from herald.clock import FakeClock
from herald.runtime import Runtime
from tests.integration.preferences.conftest import prefs_app, start_promo
from tests.integration.test_messaging import SL_VARS


async def _audience(client: AsyncClient, n: int) -> list[str]:
    ids = [f"r{i}" for i in range(n)]
    for i, rid in enumerate(ids):
        answer = await client.put(f"/api/v1/recipients/{rid}", json={"telegram_chat_id": 9000 + i})
        assert answer.status_code == 201
    return ids


async def _states(client: AsyncClient, campaign_id: int) -> dict[str, str]:
    """recipient chat id -> its delivery's state."""
    listed = (await client.get(f"/api/v1/deliveries?campaign={campaign_id}")).json()
    return {d["recipient"]: d["state"] for d in listed}


async def _prefs(client: AsyncClient, rid: str, body: dict[str, object]) -> None:
    answer = await client.put(f"/api/v1/recipients/{rid}/preferences", json=body)
    assert answer.status_code == 200, answer.text


async def test_opted_out_recipients_are_skipped_with_the_reason(
    prefs_api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = prefs_api
    ids = await _audience(client, 5)
    await _prefs(client, "r0", {"unsubscribed_all": True})
    await _prefs(client, "r1", {"categories": {"promos": ["email"]}})
    await _prefs(client, "r2", {"channels_off": ["telegram"]})
    await _prefs(client, "r3", {"categories": {"signals": []}})  # another category
    campaign_id = await start_promo(client, ids)
    await runtime.worker().drain()

    states = await _states(client, campaign_id)
    assert states == {
        "9000": "skipped",
        "9001": "skipped",
        "9002": "skipped",
        "9003": "sent",
        "9004": "sent",
    }
    skipped = (await client.get("/api/v1/deliveries?state=skipped")).json()
    assert {d["recipient"] for d in skipped} == {"9000", "9001", "9002"}
    assert all("opted out" in d["last_error"] and d["attempts"] == 0 for d in skipped)
    shown = (await client.get(f"/api/v1/campaigns/{campaign_id}")).json()
    assert shown["counts"]["skipped"] == 3 and shown["counts"]["sent"] == 2
    stats = (await client.get("/api/v1/queue/stats")).json()
    assert {"lane": "campaign", "state": "skipped", "count": 3} in stats["counts"]
    metric = runtime.metrics.registry.get_sample_value(
        "herald_deliveries_skipped_total", {"channel": "telegram", "reason": "opted_out"}
    )
    assert metric == 3


async def test_quiet_hours_defer_to_the_window_end_in_the_recipients_zone(
    prefs_api: tuple[AsyncClient, Runtime], clock: FakeClock
) -> None:
    client, runtime = prefs_api
    clock.advance(23 * 3600)  # 2026-01-01 23:00 UTC
    ids = await _audience(client, 3)
    await _prefs(
        client, "r0", {"timezone": "Europe/London", "quiet_hours": quiet("22:00", "07:00")}
    )
    await _prefs(client, "r1", {"timezone": "Asia/Tokyo", "quiet_hours": quiet("22:00", "07:00")})
    campaign_id = await start_promo(client, ids)
    await runtime.worker().drain()

    # London: 23:00 is quiet until 07:00 GMT; Tokyo: 08:00 on the 2nd, not quiet.
    assert await _states(client, campaign_id) == {"9000": "pending", "9001": "sent", "9002": "sent"}
    (waiting,) = (await client.get("/api/v1/deliveries?state=pending")).json()
    assert datetime.fromisoformat(waiting["run_at"]) == datetime(2026, 1, 2, 7, tzinfo=UTC)
    # The reason is in the delivery log; a deferral is not a failure.
    shown = (await client.get(f"/api/v1/deliveries/{waiting['id']}")).json()
    assert shown["attempts"] == 0
    assert shown["last_error"] == "deferred: quiet hours until 07:00 Europe/London"
    counts = (await client.get(f"/api/v1/campaigns/{campaign_id}")).json()["counts"]
    assert counts["queued"] == 1 and counts["failed"] == 0 and counts["sent"] == 2
    assert (
        runtime.metrics.registry.get_sample_value(
            "herald_deliveries_deferred_total", {"channel": "telegram", "reason": "quiet_hours"}
        )
        == 1
    )

    clock.advance(8 * 3600)  # 07:00 UTC
    await runtime.worker().drain()
    assert (await _states(client, campaign_id))["9000"] == "sent"


def quiet(start: str, end: str) -> dict[str, str]:
    return {"start": start, "end": end}


async def test_the_global_quiet_window_applies_to_recipients_without_one(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    audience = {"quiet_hours": "22:00-07:00", "default_timezone": "America/New_York"}
    async with prefs_app(database_url, clock, tmp_path / "t", audience=audience) as (
        client,
        runtime,
    ):
        ids = await _audience(client, 2)
        # 00:00 UTC is 19:00 in New York (outside); Tokyo's own window of 09:00-10:00.
        await _prefs(
            client, "r1", {"timezone": "Asia/Tokyo", "quiet_hours": quiet("09:00", "10:00")}
        )
        campaign_id = await start_promo(client, ids)
        await runtime.worker().drain()
        assert await _states(client, campaign_id) == {"9000": "sent", "9001": "pending"}


async def test_a_daily_cap_defers_to_the_recipients_midnight_or_skips(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    audience = {"daily_cap": 1, "default_timezone": "Europe/Berlin"}
    async with prefs_app(database_url, clock, tmp_path / "t", audience=audience) as (
        client,
        runtime,
    ):
        ids = await _audience(client, 2)
        first = await start_promo(client, ids)
        await runtime.worker().drain()
        second = await start_promo(client, ids)
        await runtime.worker().drain()
        assert set((await _states(client, first)).values()) == {"sent"}
        assert set((await _states(client, second)).values()) == {"pending"}
        waiting = (await client.get("/api/v1/deliveries?state=pending")).json()
        # Berlin's next midnight after 00:00 UTC (01:00 CET) on 1 January: 23:00 UTC.
        assert {w["run_at"] for w in waiting} == {"2026-01-01T23:00:00Z"}
        shown = (await client.get(f"/api/v1/deliveries/{waiting[0]['id']}")).json()
        assert shown["last_error"] == (
            "deferred: over the daily cap of 1 on telegram, until 00:00 Europe/Berlin"
        )
        assert (await client.get(f"/api/v1/campaigns/{second}")).json()["counts"]["queued"] == 2
        # A category with a cap of its own counts apart: vip gets its one today.
        await client.post("/api/v1/categories", json={"key": "vip", "name": "VIP", "daily_cap": 1})
        third = await start_promo(client, ["r0"], category="vip")
        clock.advance(11)  # past the categories' cache
        await runtime.worker().drain()
        assert await _states(client, third) == {"9000": "sent"}

    skip = {"daily_cap": 0, "over_cap": "skip"}
    async with prefs_app(database_url, clock, tmp_path / "b", audience=skip) as (client, runtime):
        await client.put("/api/v1/recipients/s", json={"telegram_chat_id": 9100})
        campaign_id = await start_promo(client, ["s"])
        await runtime.worker().drain()
        (skipped,) = (await client.get("/api/v1/deliveries?state=skipped")).json()
        assert skipped["last_error"] == "skipped: over the daily cap of 0 on telegram"
        assert await _states(client, campaign_id) == {"9100": "skipped"}


async def test_required_alerts_pass_and_checked_ones_are_held(
    prefs_api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = prefs_api
    await client.put("/api/v1/recipients/t", json={"telegram_chat_id": 77, "email": "t@x.org"})
    await _prefs(client, "t", {"unsubscribed_all": True})
    alert = await client.post(
        "/api/v1/notifications",
        json={"recipients": ["t"], "template": "position_sl_failed", "vars": SL_VARS},
    )
    digest = await client.post(
        "/api/v1/notifications",
        json={
            "recipients": ["t"],
            "template": "digest",
            "vars": {"topic": "risk"},
            "channels": ["telegram"],
        },
    )
    assert alert.status_code == digest.status_code == 202
    await runtime.worker().drain()
    await runtime.notifier.advance()  # the worker's maintenance does this periodically
    alert_id = alert.json()["notifications"][0]["id"]
    digest_id = digest.json()["notifications"][0]["id"]
    assert (await client.get(f"/api/v1/notifications/{alert_id}")).json()["status"] == "delivered"
    failed = (await client.get(f"/api/v1/notifications/{digest_id}")).json()
    assert failed["status"] == "failed" and "opted out" in failed["error"]
