"""Post options and forum topics in the dashboard: the content editor's and the schedule
form's selects saved as the API saves them, shown again when the form is reopened, and a
bad value refused in the API's words."""

from __future__ import annotations

import pytest

from herald.auth import Role
from herald.scheduling.content import Kind
from herald.scheduling.options import LinkPreview, Pin, PostOptions, PreviewSize
from herald.scheduling.schedules import ChatTarget
from tests.integration.dashboard.conftest import Site
from tests.support.dashboard import csrf_of, sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_the_content_editor_saves_and_shows_an_items_options(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    page = await site.client.get("/content/new/guide")
    form = {"csrf": csrf_of(page), "title": "Chart", "body": "See it", "enabled": "on",
            "opt_silent": "yes", "opt_protect": "", "opt_preview": "on",
            "opt_preview_url": "https://example.com/c", "opt_preview_size": "small",
            "opt_preview_above": "on"}  # fmt: skip
    created = await site.client.post("/content/new/guide", data=form)
    assert created.status_code == 303, created.text
    new_id = int(created.headers["location"].split("/")[2].split("?")[0])
    item = await site.runtime.content.get(new_id, Kind.GUIDE)
    assert item is not None
    preview = LinkPreview("https://example.com/c", PreviewSize.SMALL, above_text=True)
    assert item.options == PostOptions(silent=True, link_preview=preview)
    edit = await site.client.get(f"/content/{new_id}")
    assert '<option value="yes" selected>yes</option>' in edit.text
    assert 'value="https://example.com/c"' in edit.text
    assert '<option value="small" selected>small</option>' in edit.text

    form |= {"opt_preview": "on", "opt_preview_url": "ftp://nope"}
    refused = await site.client.post(f"/content/{new_id}", data=form)
    assert refused.status_code == 422
    assert "options.link_preview" in refused.text


async def test_the_schedule_form_takes_topics_and_overrides(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    page = await site.client.get("/schedules/new")
    form = {"csrf": csrf_of(page), "name": "forum", "kind": "guides",
            "chat_ids": "-1001234\n-1001234/5", "interval_seconds": "3600", "enabled": "on",
            "opt_silent": "no", "opt_protect": "yes", "opt_preview": "off",
            "opt_pin": "quiet", "opt_unpin_hours": "12", "opt_delete_hours": "never"}  # fmt: skip
    created = await site.client.post("/schedules/new", data=form)
    assert created.status_code == 303, created.text
    schedule = await site.runtime.schedules.get_by_name("forum")
    assert schedule is not None
    assert [c.target for c in schedule.chats] == [
        ChatTarget("-1001234"), ChatTarget("-1001234", 5),
    ]  # fmt: skip
    assert schedule.options == PostOptions(False, True, False, Pin(False, 12), False)
    edit = await site.client.get(f"/schedules/{schedule.id}/edit")
    assert "-1001234\n-1001234/5</textarea>" in edit.text
    assert '<option value="off" selected>off</option>' in edit.text
    assert '<option value="quiet" selected>quiet</option>' in edit.text
    assert 'name="opt_unpin_hours" value="12"' in edit.text
    assert 'name="opt_delete_hours" value="never"' in edit.text

    late = {**form, "csrf": csrf_of(edit), "opt_delete_hours": "48"}
    refused = await site.client.post(f"/schedules/{schedule.id}/edit", data=late)
    assert refused.status_code == 422
    assert "options.delete_after_hours: Value error, above 0 and at most 47" in refused.text

    bad = {**form, "csrf": csrf_of(edit), "chat_ids": "-1001234/0"}
    refused = await site.client.post(f"/schedules/{schedule.id}/edit", data=bad)
    assert refused.status_code == 422
    assert "chat_ids.0.topic_id: Input should be greater than or equal to 1" in refused.text
