"""Guides, promos and schedules over the HTTP API on both backends: the defaults a fresh
install gets, content CRUD and previews, roles, schedule validation, pause/resume
re-anchoring, manual runs and their post log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from herald.auth import Role
from herald.clock import FakeClock
from herald.config import load_settings
from herald.runtime import Runtime
from herald.tracking.signing import Click
from tests.support.app import serve

GUIDES = "/api/v1/guides"
PROMOS = "/api/v1/promos"
SCHEDULES = "/api/v1/schedules"
FOUR_HOURS = 14400
LINK = [{"text": "Read more", "url": "https://example.com/read"}]


def at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def locs(response: Any) -> list[list[str | int]]:
    return [e["loc"] for e in response.json()["detail"]]


async def make(client: AsyncClient, base: str, title: str, **fields: Any) -> dict[str, Any]:
    created = await client.post(base, json={"title": title, "body": f"{title} body", **fields})
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


async def playlist(
    client: AsyncClient, items: list[int], name: str = "mix", **fields: Any
) -> dict[str, Any]:
    body = {"name": name, "kind": "playlist", "items": items, "chat_ids": ["-1001", "-1002"]}
    created = await client.post(SCHEDULES, json={**body, **fields})
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


async def run(client: AsyncClient, schedule_id: int, clock: FakeClock) -> dict[str, Any]:
    clock.advance(1)  # distinct times, so the post log's order is the order of the runs
    response = await client.post(f"{SCHEDULES}/{schedule_id}/run")
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


# -- defaults ---------------------------------------------------------------------------


async def test_a_fresh_install_has_four_guides_four_promos_and_two_schedules(
    api: tuple[AsyncClient, Runtime], clock: FakeClock
) -> None:
    client, _ = api
    guides = (await client.get(GUIDES)).json()
    assert [g["title"] for g in guides] == [
        "Trading Fundamentals",
        "Chart Analysis",
        "Risk Management",
        "Entry/Exit",
    ]
    assert {g["kind"] for g in guides} == {"guide"}
    promos = (await client.get(PROMOS)).json()
    assert len(promos) == 4
    assert all(p["buttons"][0]["click"] and p["alert_text"] for p in promos)

    schedules = {s["name"]: s for s in (await client.get(SCHEDULES)).json()}
    assert set(schedules) == {"guides", "promos"}
    for name in ("guides", "promos"):
        shown = schedules[name]
        assert (shown["kind"], shown["interval_seconds"], shown["cron"]) == (name, FOUR_HOURS, None)
        assert (shown["enabled"], shown["post_on_start"]) == (True, True)
        assert at(shown["next_run_time"]) == clock.now()  # post_on_start: due at once
        assert shown["rotation"]["length"] == 4
    upcoming = schedules["guides"]["rotation"]["upcoming"]
    assert [i["title"] for i in upcoming] == [g["title"] for g in guides]


# -- content ----------------------------------------------------------------------------


@pytest.mark.parametrize(("base", "kind"), [(GUIDES, "guide"), (PROMOS, "promo")])
async def test_content_create_get_patch_delete(
    api: tuple[AsyncClient, Runtime], base: str, kind: str
) -> None:
    client, _ = api
    created = await make(client, base, "Stops", footer="Part 1", buttons=LINK)
    item_id = created["id"]
    assert (created["kind"], created["title"], created["body"]) == (kind, "Stops", "Stops body")
    assert created["buttons"] == [{**LINK[0], "click": False, "join_chat_id": None}]
    assert (created["footer"], created["enabled"]) == ("Part 1", True)

    assert (await client.get(f"{base}/{item_id}")).json() == created
    assert item_id in [i["id"] for i in (await client.get(base)).json()]

    patched = await client.patch(
        f"{base}/{item_id}", json={"title": "Stops 2", "footer": None, "enabled": False}
    )
    assert patched.status_code == 200, patched.text
    shown = (await client.get(f"{base}/{item_id}")).json()
    assert (shown["title"], shown["body"], shown["footer"], shown["enabled"]) == (
        "Stops 2",
        "Stops body",
        None,
        False,
    )

    assert (await client.delete(f"{base}/{item_id}")).status_code == 204
    assert (await client.get(f"{base}/{item_id}")).status_code == 404
    assert (await client.delete(f"{base}/{item_id}")).status_code == 404


async def test_a_guide_is_not_found_among_promos(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    guide = await make(client, GUIDES, "Only a guide")
    missing = await client.get(f"{PROMOS}/{guide['id']}")
    assert (missing.status_code, missing.json()) == (
        404,
        {"detail": f"promo {guide['id']} not found"},
    )
    assert (await client.get(f"{GUIDES}/999999")).status_code == 404
    assert (await client.patch(f"{GUIDES}/999999", json={"title": "x"})).status_code == 404
    assert (await client.get(f"{GUIDES}/999999/preview")).status_code == 404


async def test_a_guide_button_needs_a_url(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    body = {"title": "T", "body": "B", "buttons": [{"text": "Click"}]}
    for response in (
        await client.post(GUIDES, json=body),
        await client.post(f"{GUIDES}/preview", json=body),
    ):
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", "buttons", 0, "url"]
    guide = await make(client, GUIDES, "Linked", buttons=LINK)
    patched = await client.patch(
        f"{GUIDES}/{guide['id']}", json={"buttons": [*LINK, {"text": "Click"}]}
    )
    assert patched.status_code == 422
    assert patched.json()["detail"][0]["loc"] == ["body", "buttons", 1, "url"]


async def test_a_promo_button_without_url_is_a_signed_tracked_click(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = api
    promo = await make(client, PROMOS, "Free week", buttons=[{"text": "Start"}], alert_text="Hi")
    assert promo["buttons"] == [{"text": "Start", "url": None, "click": True, "join_chat_id": None}]
    assert promo["alert_text"] == "Hi"

    preview = (await client.get(f"{PROMOS}/{promo['id']}/preview")).json()
    [[button]] = preview["buttons"]
    assert set(button) == {"text", "callback_data"}
    assert button["text"] == "Start"
    assert len(button["callback_data"].encode()) <= 64
    assert runtime.signer.verify(button["callback_data"]) == Click(promo["id"], 0)


async def test_a_promo_link_marked_click_stays_a_tracked_click(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = api
    offer = [{"text": "Claim", "url": "https://example.com/offer", "click": True}]
    promo = await make(client, PROMOS, "Offer", buttons=offer)
    assert promo["buttons"] == [{**offer[0], "join_chat_id": None}]
    stored = await runtime.content.get(promo["id"])
    assert stored is not None and stored.buttons[0].click
    [[button]] = (await client.get(f"{PROMOS}/{promo['id']}/preview")).json()["buttons"]
    assert "callback_data" in button  # answered with a deep link to the offer
    refused = await client.post(GUIDES, json={"title": "T", "body": "B", "buttons": offer})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "buttons", 0, "click"]


@pytest.mark.parametrize("base", [GUIDES, PROMOS])
async def test_content_field_errors_name_the_field(
    api: tuple[AsyncClient, Runtime], base: str
) -> None:
    client, _ = api
    too_long = await client.post(base, json={"title": "x" * 257, "body": "B"})
    assert (too_long.status_code, locs(too_long)) == (422, [["body", "title"]])
    no_body = await client.post(base, json={"title": "T"})
    assert (no_body.status_code, locs(no_body)) == (422, [["body", "body"]])

    item = await make(client, base, "Fine")
    for field in ("title", "body", "buttons", "enabled"):
        nulled = await client.patch(f"{base}/{item['id']}", json={field: None})
        assert (nulled.status_code, locs(nulled)) == (422, [["body", field]])
    long_patch = await client.patch(f"{base}/{item['id']}", json={"title": "x" * 257})
    assert (long_patch.status_code, locs(long_patch)) == (422, [["body", "title"]])
    assert (await client.get(f"{base}/{item['id']}")).json()["title"] == "Fine"


async def test_preview_shows_plain_text_as_written_with_entities_for_title_and_footer(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, _ = api
    title, body = "Win 1.5x (today)!", "Risk *1-2%* [max] #rules <b>"
    guide = await make(client, GUIDES, title, body=body, buttons=LINK)
    saved = (await client.get(f"{GUIDES}/{guide['id']}/preview")).json()
    assert saved["plain_text"] == saved["text"] == f"{title}\n\n{body}"
    assert saved["entities"] == [{"type": "bold", "offset": 0, "length": len(title)}]
    assert saved["html"] == f"<b>{title}</b><br><br>Risk *1-2%* [max] #rules &lt;b&gt;"
    assert saved["buttons"] == [LINK]

    draft = await client.post(
        f"{GUIDES}/preview", json={"title": title, "body": body, "footer": "v1.0"}
    )
    assert draft.status_code == 200, draft.text
    assert draft.json()["text"] == f"{title}\n\n{body}\n\nv1.0"
    assert draft.json()["html"].endswith("<br><br><i>v1.0</i>")
    assert len((await client.get(GUIDES)).json()) == 5  # previewing a draft saves nothing


# -- roles ------------------------------------------------------------------------------


async def test_a_viewer_reads_but_cannot_write(database_url: str) -> None:
    settings = load_settings(env="dev", database_url=database_url)
    async with serve(settings, role=Role.VIEWER) as (client, _):
        guides = (await client.get(GUIDES)).json()
        schedules = (await client.get(SCHEDULES)).json()
        guide_id, schedule_id = guides[0]["id"], schedules[0]["id"]
        for path in (GUIDES, PROMOS, f"{GUIDES}/{guide_id}", f"{GUIDES}/{guide_id}/preview"):
            assert (await client.get(path)).status_code == 200, path
        for path in (f"{SCHEDULES}/{schedule_id}", f"{SCHEDULES}/{schedule_id}/runs"):
            assert (await client.get(path)).status_code == 200, path

        writes = [
            client.post(GUIDES, json={"title": "T", "body": "B"}),
            client.patch(f"{GUIDES}/{guide_id}", json={"title": "T"}),
            client.delete(f"{GUIDES}/{guide_id}"),
            client.post(PROMOS, json={"title": "T", "body": "B"}),
            client.post(SCHEDULES, json={"name": "x", "kind": "guides"}),
            client.patch(f"{SCHEDULES}/{schedule_id}", json={"enabled": False}),
            client.delete(f"{SCHEDULES}/{schedule_id}"),
            client.post(f"{SCHEDULES}/{schedule_id}/run"),
        ]
        for write in writes:
            assert (await write).status_code == 403
        assert len((await client.get(GUIDES)).json()) == 4
        assert (await client.get(f"{SCHEDULES}/{schedule_id}/runs")).json() == []


async def test_no_key_is_a_401(database_url: str) -> None:
    settings = load_settings(env="dev", database_url=database_url)
    async with serve(settings, role=None) as (client, _):
        for path in (GUIDES, PROMOS, SCHEDULES):
            assert (await client.get(path)).status_code == 401
        assert (await client.post(GUIDES, json={"title": "T", "body": "B"})).status_code == 401
        assert (await client.post(f"{SCHEDULES}/1/run")).status_code == 401


# -- schedules --------------------------------------------------------------------------


@pytest.mark.parametrize("chat_ids", [["-1001", "-1002"], "-1001,-1002"])
async def test_a_playlist_schedule_is_created_and_shown(
    api: tuple[AsyncClient, Runtime], clock: FakeClock, chat_ids: list[str] | str
) -> None:
    client, _ = api
    promo = await make(client, PROMOS, "P1")
    g1, g2 = await make(client, GUIDES, "G1"), await make(client, GUIDES, "G2")
    items = [g2["id"], promo["id"], g1["id"]]
    created = await playlist(client, items, chat_ids=chat_ids)

    shown = (await client.get(f"{SCHEDULES}/{created['id']}")).json()
    assert shown == created
    assert (shown["name"], shown["kind"], shown["items"]) == ("mix", "playlist", items)
    assert [(c["chat_id"], c["active"]) for c in shown["chats"]] == [
        ("-1001", True),
        ("-1002", True),
    ]
    assert (shown["interval_seconds"], shown["cron"], shown["timezone"]) == (
        FOUR_HOURS,
        None,
        "UTC",
    )
    assert at(shown["next_run_time"]) == clock.now() + timedelta(seconds=FOUR_HOURS)
    assert (shown["last_run_time"], shown["last_result"]) == (None, None)
    rotation = shown["rotation"]
    assert (rotation["position"], rotation["length"]) == (0, 3)
    assert [(i["id"], i["kind"], i["title"]) for i in rotation["upcoming"]] == [
        (g2["id"], "guide", "G2"),
        (promo["id"], "promo", "P1"),
        (g1["id"], "guide", "G1"),
    ]
    assert shown["job"] == {"state": "not_running", "next_fire_time": None}

    again = await client.post(SCHEDULES, json={"name": "mix", "kind": "guides"})
    assert again.status_code == 409
    assert "mix" in again.json()["detail"]


async def test_a_cron_schedule_waits_for_its_time_in_its_zone(
    api: tuple[AsyncClient, Runtime], clock: FakeClock
) -> None:
    client, _ = api
    created = await client.post(
        SCHEDULES,
        json={
            "name": "morning",
            "kind": "guides",
            "cron": "0 9 * * *",
            "timezone": "Europe/Berlin",
        },
    )
    assert created.status_code == 201, created.text
    shown = created.json()
    assert (shown["cron"], shown["timezone"], shown["interval_seconds"]) == (
        "0 9 * * *",
        "Europe/Berlin",
        None,
    )
    # 2026-01-01 00:00 UTC: 09:00 in Berlin (UTC+1 in winter) is 08:00 UTC that day.
    assert at(shown["next_run_time"]) == clock.now() + timedelta(hours=8)
    assert shown["rotation"]["length"] == 4


@pytest.mark.parametrize(
    ("fields", "loc"),
    [
        ({"chat_ids": ["-1001", "not a chat"]}, ["body", "chat_ids"]),
        ({"chat_ids": "-1001,,x y"}, ["body", "chat_ids"]),
        ({"cron": "every day"}, ["body", "cron"]),
        ({"cron": "0 9 * *"}, ["body", "cron"]),
        ({"timezone": "Mars/Olympus"}, ["body", "timezone"]),
        ({"interval_seconds": 0}, ["body", "interval_seconds"]),
        ({"interval_seconds": 60, "cron": "0 * * * *"}, ["body"]),
        ({"name": "has space"}, ["body", "name"]),
        ({"kind": "news"}, ["body", "kind"]),
        ({"items": []}, ["body"]),
    ],
)
async def test_schedule_input_errors_name_the_field(
    api: tuple[AsyncClient, Runtime], fields: dict[str, Any], loc: list[str]
) -> None:
    client, _ = api
    guide = (await client.get(GUIDES)).json()[0]
    body = {"name": "bad", "kind": "playlist", "items": [guide["id"]], **fields}
    response = await client.post(SCHEDULES, json=body)
    assert (response.status_code, locs(response)) == (422, [loc])
    assert "bad" not in [s["name"] for s in (await client.get(SCHEDULES)).json()]


async def test_a_playlist_of_unknown_content_names_the_item(
    api: tuple[AsyncClient, Runtime],
) -> None:
    client, _ = api
    guide = (await client.get(GUIDES)).json()[0]
    body = {"name": "bad", "kind": "playlist", "items": [guide["id"], 999999]}
    response = await client.post(SCHEDULES, json=body)
    assert (response.status_code, locs(response)) == (422, [["body", "items", 1]])
    assert "999999" in response.json()["detail"][0]["msg"]

    created = await playlist(client, [guide["id"]])
    patched = await client.patch(f"{SCHEDULES}/{created['id']}", json={"items": [888888]})
    assert (patched.status_code, locs(patched)) == (422, [["body", "items", 0]])
    defaults = {s["name"]: s["id"] for s in (await client.get(SCHEDULES)).json()}
    not_playlist = await client.patch(
        f"{SCHEDULES}/{defaults['guides']}", json={"items": [guide["id"]]}
    )
    assert (not_playlist.status_code, locs(not_playlist)) == (422, [["body", "items"]])


async def test_pause_and_resume_re_anchor_the_schedule(
    api: tuple[AsyncClient, Runtime], clock: FakeClock
) -> None:
    client, _ = api
    guide = (await client.get(GUIDES)).json()[0]
    path = f"{SCHEDULES}/{(await playlist(client, [guide['id']]))['id']}"

    clock.advance(600)
    paused = (await client.patch(path, json={"enabled": False})).json()
    assert (paused["enabled"], paused["next_run_time"]) == (False, None)
    assert paused["job"]["state"] == "not_running"
    assert (await client.get(path)).json()["next_run_time"] is None

    clock.advance(3600)
    resumed = (await client.patch(path, json={"enabled": True})).json()
    assert resumed["enabled"] is True
    assert at(resumed["next_run_time"]) == clock.now() + timedelta(seconds=FOUR_HOURS)

    clock.advance(60)
    await client.patch(path, json={"enabled": False})
    now_too = (await client.patch(path, json={"enabled": True, "post_on_start": True})).json()
    assert (now_too["post_on_start"], at(now_too["next_run_time"])) == (True, clock.now())

    clock.advance(60)
    retimed = (await client.patch(path, json={"interval_seconds": 900})).json()
    assert retimed["interval_seconds"] == 900
    assert at(retimed["next_run_time"]) == clock.now() + timedelta(seconds=900)

    nulled = await client.patch(path, json={"enabled": None})
    assert (nulled.status_code, locs(nulled)) == (422, [["body", "enabled"]])


async def test_resuming_a_post_on_start_default_is_due_at_once(
    api: tuple[AsyncClient, Runtime], clock: FakeClock
) -> None:
    client, _ = api
    guides = {s["name"]: s for s in (await client.get(SCHEDULES)).json()}["guides"]
    path = f"{SCHEDULES}/{guides['id']}"
    assert (await client.patch(path, json={"enabled": False})).json()["next_run_time"] is None
    clock.advance(7200)
    resumed = (await client.patch(path, json={"enabled": True})).json()
    assert at(resumed["next_run_time"]) == clock.now()


async def test_patching_chats_replaces_them(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    guide = (await client.get(GUIDES)).json()[0]
    path = f"{SCHEDULES}/{(await playlist(client, [guide['id']]))['id']}"
    patched = (await client.patch(path, json={"chat_ids": "-1002, @herald_news"})).json()
    assert [c["chat_id"] for c in patched["chats"]] == ["-1002", "@herald_news"]
    bad = await client.patch(path, json={"chat_ids": ["1.5"]})
    assert (bad.status_code, locs(bad)) == (422, [["body", "chat_ids"]])
    assert [c["chat_id"] for c in (await client.get(path)).json()["chats"]] == [
        "-1002",
        "@herald_news",
    ]


async def test_run_now_posts_the_next_item_to_every_chat_and_rotates(
    api: tuple[AsyncClient, Runtime], clock: FakeClock
) -> None:
    client, _ = api
    a, b = await make(client, GUIDES, "First", buttons=LINK), await make(client, PROMOS, "Second")
    schedule = await playlist(client, [a["id"], b["id"]])
    sid = schedule["id"]

    runs = [await run(client, sid, clock) for _ in range(3)]
    assert [r["content_id"] for r in runs] == [a["id"], b["id"], a["id"]]  # wraps around
    assert [r["content_kind"] for r in runs] == ["guide", "promo", "guide"]
    first = runs[0]
    assert (first["schedule_id"], first["trigger"], first["status"]) == (sid, "manual", "queued")
    assert (first["chats"], first["posted_to"], first["failed"]) == (2, 0, 0)
    assert [(d["chat_id"], d["status"]) for d in first["details"]] == [
        ("-1001", "queued"),
        ("-1002", "queued"),
    ]
    assert all(isinstance(d["delivery_id"], int) for r in runs for d in r["details"])

    queued = (await client.get("/api/v1/deliveries", params={"campaign": f"schedule:{sid}"})).json()
    assert sorted(d["id"] for d in queued) == sorted(
        d["delivery_id"] for r in runs for d in r["details"]
    )
    assert {(d["lane"], d["channel"], d["state"]) for d in queued} == {
        ("campaign", "telegram", "pending")
    }
    by_id = {d["id"]: d for d in queued}
    posted = by_id[first["details"][1]["delivery_id"]]
    assert posted["recipient"] == "-1002"
    assert posted["payload"]["text"].startswith("First\n\n")
    assert posted["payload"]["buttons"] == [LINK]

    shown = (await client.get(f"{SCHEDULES}/{sid}")).json()
    assert shown["rotation"]["position"] == 1
    assert [i["id"] for i in shown["rotation"]["upcoming"]] == [b["id"], a["id"]]
    assert at(shown["last_run_time"]) == clock.now()
    assert shown["last_result"]["run_id"] == runs[2]["id"]
    assert (shown["last_result"]["status"], shown["last_result"]["title"]) == ("queued", "First")
    # A manual run leaves the cadence alone.
    assert shown["next_run_time"] == schedule["next_run_time"]


async def test_a_run_without_chats_queues_nothing(
    api: tuple[AsyncClient, Runtime], clock: FakeClock
) -> None:
    client, _ = api
    guide = (await client.get(GUIDES)).json()[0]
    sid = (await playlist(client, [guide["id"]], chat_ids=[]))["id"]
    result = await run(client, sid, clock)
    assert (result["status"], result["content_id"], result["details"]) == ("no_chats", None, [])
    assert result["detail"] == "no active chats"
    assert result["finished_at"] is not None
    assert (await client.get("/api/v1/deliveries")).json() == []
    last = (await client.get(f"{SCHEDULES}/{sid}")).json()["last_result"]
    assert (last["run_id"], last["status"]) == (result["id"], "no_chats")


async def test_a_playlist_whose_items_were_deleted_runs_empty(
    api: tuple[AsyncClient, Runtime], clock: FakeClock
) -> None:
    client, _ = api
    promo = await make(client, PROMOS, "Gone soon")
    sid = (await playlist(client, [promo["id"]]))["id"]
    assert (await client.delete(f"{PROMOS}/{promo['id']}")).status_code == 204

    shown = (await client.get(f"{SCHEDULES}/{sid}")).json()
    assert shown["items"] == [promo["id"]]
    assert shown["rotation"] == {"position": 0, "length": 0, "upcoming": []}
    result = await run(client, sid, clock)
    assert (result["status"], result["content_id"], result["details"]) == ("empty", None, [])
    assert result["detail"] == "the playlist is empty"
    assert (await client.get("/api/v1/deliveries")).json() == []


async def test_the_post_log_lists_runs_newest_first(
    api: tuple[AsyncClient, Runtime], clock: FakeClock
) -> None:
    client, _ = api
    a, b = (await client.get(GUIDES)).json()[:2]
    sid = (await playlist(client, [a["id"], b["id"]]))["id"]
    other = (await playlist(client, [a["id"]], name="other"))["id"]
    first, second = await run(client, sid, clock), await run(client, sid, clock)

    log = (await client.get(f"{SCHEDULES}/{sid}/runs")).json()
    assert [r["id"] for r in log] == [second["id"], first["id"]]
    assert log == [second, first]
    limited = (await client.get(f"{SCHEDULES}/{sid}/runs", params={"limit": 1})).json()
    assert [r["id"] for r in limited] == [second["id"]]
    assert (await client.get(f"{SCHEDULES}/{other}/runs")).json() == []

    one = (await client.get(f"{SCHEDULES}/{sid}/runs/{first['id']}")).json()
    assert one == first
    assert [d["chat_id"] for d in one["details"]] == ["-1001", "-1002"]
    foreign = await client.get(f"{SCHEDULES}/{other}/runs/{first['id']}")
    assert (foreign.status_code, foreign.json()) == (
        404,
        {"detail": f"run {first['id']} not found"},
    )
    assert (await client.get(f"{SCHEDULES}/{sid}/runs/999999")).status_code == 404
    assert (await client.get(f"{SCHEDULES}/999999/runs")).status_code == 404


async def test_unknown_and_deleted_schedules_are_404(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    guide = (await client.get(GUIDES)).json()[0]
    sid = (await playlist(client, [guide["id"]]))["id"]
    assert (await client.delete(f"{SCHEDULES}/{sid}")).status_code == 204
    for response in (
        await client.get(f"{SCHEDULES}/{sid}"),
        await client.patch(f"{SCHEDULES}/{sid}", json={"enabled": False}),
        await client.delete(f"{SCHEDULES}/{sid}"),
        await client.post(f"{SCHEDULES}/{sid}/run"),
    ):
        assert response.status_code == 404
    assert {s["name"] for s in (await client.get(SCHEDULES)).json()} == {"guides", "promos"}


async def test_manual_runs_in_the_same_instant_each_post(
    api: tuple[AsyncClient, Runtime],
) -> None:
    """A manual run claims no slot: neither does it collide with another one, nor take
    the place of the scheduled slot that is due at that moment."""
    client, _ = api
    guides = {s["name"]: s for s in (await client.get(SCHEDULES)).json()}["guides"]
    await client.patch(f"{SCHEDULES}/{guides['id']}", json={"chat_ids": ["-1001"]})
    first = await client.post(f"{SCHEDULES}/{guides['id']}/run")
    second = await client.post(f"{SCHEDULES}/{guides['id']}/run")
    assert [first.status_code, second.status_code] == [202, 202]
    assert [first.json()["slot_at"], second.json()["slot_at"]] == [None, None]
    assert first.json()["content_id"] != second.json()["content_id"]  # rotation moved on
    shown = (await client.get(f"{SCHEDULES}/{guides['id']}")).json()
    assert shown["next_run_time"] is not None  # the start slot is still due


async def test_a_guide_has_no_alert_text(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    refused = await client.post(GUIDES, json={"title": "t", "body": "b", "alert_text": "hi"})
    assert refused.status_code == 422
    assert locs(refused) == [["body", "alert_text"]]
