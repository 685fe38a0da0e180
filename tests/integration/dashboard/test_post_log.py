"""The dashboard's run page: each chat's post and its actions, and "edit everywhere" /
"delete everywhere" for an admin (CSRF as every form), over the fake Bot API."""

from __future__ import annotations

import html

import pytest

from herald.auth import Role
from herald.scheduling.content import ContentDraft, Kind
from herald.scheduling.schedules import ScheduleKind, ScheduleSpec
from tests.integration.dashboard.conftest import Site
from tests.support.dashboard import csrf_of, sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
CHATS = ["-1001", "-1002"]


async def posted_run(site: Site) -> tuple[int, int, int]:
    """A guide posted to CHATS and sent: (schedule id, run id, guide id)."""
    runtime = site.runtime
    guide = await runtime.content.create(Kind.GUIDE, ContentDraft(title="T", body="Before"))
    spec = ScheduleSpec(name="log", kind=ScheduleKind.PLAYLIST, items=(guide,), chat_ids=CHATS)
    schedule = await runtime.scheduler.create(spec)
    result = await runtime.runner.run_now(schedule.id)
    assert result is not None
    await runtime.worker(exclusive=False).drain()
    return schedule.id, result.run_id, guide


async def test_an_admin_edits_and_deletes_everywhere_and_sees_each_chats_result(
    site: Site,
) -> None:
    schedule_id, run_id, guide = await posted_run(site)
    runtime, telegram = site.runtime, site.telegram
    await sign_in(site.client, site.keys[Role.ADMIN])
    listed = await site.client.get(f"/schedules/{schedule_id}")
    assert f'href="/schedules/{schedule_id}/runs/{run_id}"' in listed.text
    url = f"/schedules/{schedule_id}/runs/{run_id}"
    page = await site.client.get(url)
    assert page.status_code == 200
    assert "Edit everywhere" in page.text and "Delete everywhere" in page.text

    await runtime.content.update(guide, Kind.GUIDE, {"body": "After"})
    [first, second] = [m["message_id"] for m in telegram.messages]
    telegram.age_message(CHATS[1], second, 49)
    asked = await site.client.post(f"{url}/edit", data={"csrf": csrf_of(page)})
    assert asked.status_code == 303
    page = await site.client.get(asked.headers["location"])
    assert "Edit queued for 2 chat(s)" in page.text
    await runtime.worker(exclusive=False).drain()
    assert telegram.message(CHATS[0], first)["text"] == "T\n\nAfter"  # type: ignore[index]

    asked = await site.client.post(f"{url}/delete", data={"csrf": csrf_of(page)})
    await runtime.worker(exclusive=False).drain()
    page = await site.client.get(url)
    text = html.unescape(page.text)
    assert text.count('edit <span class="state state-done">done</span>') == 2
    assert 'delete <span class="state state-done">done</span>' in text
    assert "message can't be deleted" in text
    assert telegram.deleted == [(CHATS[0], first)]


async def test_a_viewer_sees_the_post_log_without_the_buttons_and_cannot_post_them(
    site: Site,
) -> None:
    schedule_id, run_id, _ = await posted_run(site)
    await sign_in(site.client, site.keys[Role.VIEWER])
    url = f"/schedules/{schedule_id}/runs/{run_id}"
    page = await site.client.get(url)
    assert page.status_code == 200 and CHATS[1] in page.text
    assert "Edit everywhere" not in page.text
    for action in ("edit", "delete"):
        refused = await site.client.post(f"{url}/{action}", data={"csrf": csrf_of(page)})
        assert refused.status_code == 403 and "needs the admin role" in refused.text
    missing = await site.client.get(f"/schedules/{schedule_id}/runs/999")
    assert missing.status_code == 404
    await sign_in(site.client, site.keys[Role.ADMIN])
    stale = await site.client.post(f"{url}/delete", data={"csrf": "forged"})
    assert stale.status_code == 403
    assert site.telegram.requests_for("deleteMessage") == []
