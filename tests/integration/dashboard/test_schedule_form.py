"""Schedules created and edited in the dashboard, through the API's bodies and the
same scheduling service: what is saved, what is refused (in the API's words, under
the field), and a viewer refused."""

from __future__ import annotations

import re

import pytest

from herald.auth import Role
from herald.scheduling.cadence import Cadence
from herald.scheduling.content import Kind
from herald.scheduling.schedules import ScheduleKind
from tests.integration.dashboard.conftest import Site
from tests.support.dashboard import csrf_of, sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def field_errors(page: str, field: str) -> list[str]:
    return re.findall(rf'<p class="error field-error" id="{field}-error">([^<]*)</p>', page)


async def admin_form(site: Site, path: str) -> str:
    await sign_in(site.client, site.keys[Role.ADMIN])
    page = await site.client.get(path)
    assert page.status_code == 200
    return csrf_of(page)


async def test_an_admin_creates_a_playlist_schedule(site: Site) -> None:
    csrf = await admin_form(site, "/schedules/new")
    guide, promo = (
        (await site.runtime.content.all(Kind.GUIDE))[0],
        (await site.runtime.content.all(Kind.PROMO))[0],
    )
    created = await site.client.post(
        "/schedules/new",
        data={
            "csrf": csrf,
            "name": "mornings",
            "kind": "playlist",
            "chat_ids": "-1001234\n@herald_news",
            "cron": "30 8 * * *",
            "timezone": "Europe/Berlin",
            "items": f"{promo.id}, {guide.id}",
            "enabled": "on",
        },
    )
    assert created.status_code == 303
    schedule = await site.runtime.schedules.get_by_name("mornings")
    assert schedule is not None
    assert created.headers["location"] == f"/schedules/{schedule.id}?notice=created"
    assert schedule.kind is ScheduleKind.PLAYLIST
    assert schedule.items == (promo.id, guide.id)
    assert schedule.cadence == Cadence(None, "30 8 * * *", "Europe/Berlin")
    assert [c.chat_id for c in schedule.chats] == ["-1001234", "@herald_news"]
    assert schedule.enabled and schedule.next_slot_at is not None
    page = await site.client.get(created.headers["location"])
    assert "Schedule created." in page.text
    assert [i.title for i in (await site.runtime.scheduler.rotation(schedule)).upcoming] == [
        promo.title,
        guide.title,
    ]


async def test_an_admin_edits_a_schedule_and_an_unchanged_chat_list_stays_as_it_was(
    site: Site,
) -> None:
    guides = await site.runtime.schedules.get_by_name("guides")
    assert guides is not None
    first = "-1001"
    await site.runtime.schedules.add_chat(guides.id, first)
    await site.runtime.schedules.deactivate_chat(first, "bot was kicked")
    before = await site.runtime.schedules.get(guides.id)
    assert before is not None
    csrf = await admin_form(site, f"/schedules/{before.id}/edit")
    page = await site.client.get(f"/schedules/{before.id}")
    assert f'href="/schedules/{before.id}/edit"' in page.text
    form = {
        "csrf": csrf,
        "name": "guides-daily",
        "chat_ids": "\n".join(c.chat_id for c in before.chats),
        "interval_seconds": "86400",
        "timezone": "UTC",
    }  # enabled unchecked: the form pauses it
    saved = await site.client.post(f"/schedules/{before.id}/edit", data=form)
    assert saved.headers["location"] == f"/schedules/{before.id}?notice=saved"
    after = await site.runtime.schedules.get(before.id)
    assert after is not None and after.name == "guides-daily"
    assert after.cadence == Cadence(86400) and not after.enabled
    assert after.chats[0].chat_id == first and not after.chats[0].active  # not reactivated

    form |= {"chat_ids": f"{first}, -1009999", "enabled": "on"}
    await site.client.post(f"/schedules/{before.id}/edit", data=form)
    after = await site.runtime.schedules.get(before.id)
    assert after is not None and after.enabled
    assert [(c.chat_id, c.active) for c in after.chats] == [(first, True), ("-1009999", True)]


async def test_refusals_are_the_apis_shown_under_their_fields(site: Site) -> None:
    csrf = await admin_form(site, "/schedules/new")
    form = {"csrf": csrf, "name": "bad name", "kind": "guides", "chat_ids": "not a chat",
            "cron": "61 * * * *", "enabled": "on"}  # fmt: skip
    refused = await site.client.post("/schedules/new", data=form)
    assert refused.status_code == 422
    api = await site.client.post(
        "/api/v1/schedules",
        json={"name": "bad name", "kind": "guides", "chat_ids": "not a chat", "cron": "61 * * * *"},
        headers={"Authorization": f"Bearer {site.keys[Role.ADMIN]}"},
    )
    assert api.status_code == 422
    for error in api.json()["detail"]:
        field = error["loc"][1]
        assert [e.split(": ", 1)[1] for e in field_errors(refused.text, field)] == [
            error["msg"].replace("'", "&#39;")
        ], field
    assert 'value="bad name"' in refused.text  # the form keeps what was typed
    form |= {"chat_ids": "-1001", "cron": ""}

    unknown = await site.client.post(
        "/schedules/new",
        data=form | {"name": "p", "kind": "playlist", "items": "1 999999"},
    )
    assert field_errors(unknown.text, "items") == ["items.1: no guide or promo with id 999999"]
    assert 'value="1 999999"' in unknown.text
    taken = await site.client.post("/schedules/new", data=form | {"name": "promos"})
    assert field_errors(taken.text, "name") == [
        "name: a schedule named &#39;promos&#39; already exists"
    ]
    both = await site.client.post(
        "/schedules/new", data=form | {"name": "x", "interval_seconds": "60", "cron": "* * * * *"}
    )
    assert "give interval_seconds or cron, not both" in both.text
    assert await site.runtime.schedules.get_by_name("p") is None


async def test_a_viewer_sees_no_schedule_form_and_the_server_refuses_one(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.VIEWER])
    listing = await site.client.get("/schedules")
    assert "/schedules/new" not in listing.text
    detail = await site.client.get("/schedules/1")
    assert "/schedules/1/edit" not in detail.text
    for path in ("/schedules/new", "/schedules/1/edit"):
        page = await site.client.get(path)
        assert page.status_code == 403 and "needs the admin role" in page.text
        refused = await site.client.post(
            path, data={"csrf": csrf_of(listing), "name": "viewers", "kind": "guides"}
        )
        assert refused.status_code == 403, path
    assert await site.runtime.schedules.get_by_name("viewers") is None
    schedule = await site.runtime.schedules.get(1)
    assert schedule is not None and schedule.name != "viewers"
