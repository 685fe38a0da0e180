"""The dashboard's recipient page: preferences viewed by a viewer, edited by an admin."""

from __future__ import annotations

from herald.auth import Role
from herald.channel import Channel
from herald.messaging.recipients import RecipientFields
from herald.preferences import Category
from tests.integration.dashboard.conftest import Site
from tests.support.dashboard import csrf_of, sign_in


async def test_an_admin_edits_a_recipients_preferences_and_a_viewer_only_sees_them(
    site: Site,
) -> None:
    runtime, client = site.runtime, site.client
    for key in ("promos", "signals"):
        await runtime.categories.create(Category(key, key.title()))
    recipient, _ = await runtime.recipients.put("u 1", RecipientFields(email="u@example.com"))

    await sign_in(client, site.keys[Role.ADMIN])
    listed = await client.get("/recipients")
    assert 'href="/recipients/u%201"' in listed.text
    page = await client.get("/recipients/u%201")
    assert page.status_code == 200 and 'value="promos:telegram"' in page.text
    form = {
        "csrf": csrf_of(page),
        "channel": ["telegram", "email"],
        "accept": ["promos:telegram", "signals:telegram", "signals:email"],
        "timezone": "Europe/London",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
    }
    saved = await client.post("/recipients/u%201/preferences", data=form)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/recipients/u%201?notice=preferences-saved"
    prefs = await runtime.preferences.get(recipient.id)
    assert prefs.timezone == "Europe/London" and prefs.quiet_hours is not None
    assert not prefs.accepts("promos", Channel.EMAIL) and prefs.accepts("signals", Channel.EMAIL)
    assert not prefs.accepts("signals", Channel.PUSH)  # push is off for every category

    half = await client.post("/recipients/u%201/preferences", data={**form, "quiet_end": ""})
    assert half.status_code == 422 and "give both the start and the end" in half.text
    stale = await client.post("/recipients/u%201/preferences", data={**form, "csrf": "x"})
    assert stale.status_code == 403
    assert (await client.get("/recipients/nobody")).status_code == 404

    client.cookies.clear()
    await sign_in(client, site.keys[Role.VIEWER])
    viewed = await client.get("/recipients/u%201")
    assert (
        "Europe/London" in viewed.text and "<button" not in viewed.text.split('id="preferences"')[1]
    )
    refused = await client.post(
        "/recipients/u%201/preferences", data={**form, "csrf": csrf_of(viewed)}
    )
    assert refused.status_code == 403
