"""The promo editor's own fields: A/B variants (written through the API's rules, kept
on a save of the same form, the test ended keeping one) and join buttons."""

from __future__ import annotations

import pytest

from herald.auth import Role
from herald.scheduling.content import Kind
from tests.integration.dashboard.conftest import Site
from tests.support.dashboard import csrf_of, sign_in
from tests.support.media_files import png

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_variants_are_written_kept_on_save_and_ended_from_the_editor(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    page = await site.client.get("/content/new/promo")
    assert 'name="variant-3-body"' in page.text
    form = {"csrf": csrf_of(page), "title": "VIP", "body": "Join", "enabled": "on",
            "alert_text": "Thanks!", "button-0-text": "I want it",
            "variant-0-body": "Join us", "variant-1-body": "Join today",
            "variant-1-labels": "Yes please\nextra"}  # fmt: skip
    refused = await site.client.post("/content/new/promo", data=form)
    assert refused.status_code == 422
    assert "variants.1.labels: 2 labels for 1 buttons" in refused.text
    form["variant-1-labels"] = "Yes please"
    created = await site.client.post("/content/new/promo", data=form)
    assert created.status_code == 303, created.text
    new_id = int(created.headers["location"].split("/")[2].split("?")[0])
    promo = await site.runtime.content.get(new_id, Kind.PROMO)
    assert promo is not None and promo.testing is not None
    started = promo.testing.started_at

    edit = await site.client.get(f"/content/{new_id}")
    assert ">Join today</textarea>" in edit.text and "End the test" in edit.text
    form["csrf"] = csrf_of(edit)
    saved = await site.client.post(f"/content/{new_id}", data=form)
    assert saved.status_code == 303
    kept = await site.runtime.content.get(new_id, Kind.PROMO)
    assert kept is not None and kept.testing is not None
    assert kept.testing.started_at == started  # the same variants: the same test

    ended = await site.client.post(
        f"/content/{new_id}/variants/end", data={"csrf": form["csrf"], "keep": "B"}
    )
    assert ended.status_code == 303
    after = await site.runtime.content.get(new_id, Kind.PROMO)
    assert after is not None and after.testing is None
    assert (after.body, after.buttons[0].text) == ("Join today", "Yes please")
    page = await site.client.get(f"/content/{new_id}")
    assert "keeping B" in page.text and 'name="variant-0-body"' in page.text
    again = await site.client.post(
        f"/content/{new_id}/variants/end", data={"csrf": form["csrf"], "keep": "A"}
    )
    assert again.status_code == 409


async def test_a_join_button_is_written_and_shown_again(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    page = await site.client.get("/content/new/promo")
    form = {"csrf": csrf_of(page), "title": "Room", "body": "Join", "enabled": "on",
            "button-0-text": "Join the room", "button-0-join": "@tradingroom"}  # fmt: skip
    created = await site.client.post("/content/new/promo", data=form)
    assert created.status_code == 303, created.text
    new_id = int(created.headers["location"].split("/")[2].split("?")[0])
    promo = await site.runtime.content.get(new_id, Kind.PROMO)
    assert promo is not None and promo.buttons[0].join_chat_id == "@tradingroom"
    assert not promo.buttons[0].callback
    edit = await site.client.get(f"/content/{new_id}")
    assert 'name="button-0-join" value="@tradingroom"' in edit.text
    assert "https://t.me/+invite-link-made-when-posted" in edit.text  # the preview's stand-in
    form.update(csrf=csrf_of(edit), **{"button-0-url": "https://example.com"})
    refused = await site.client.post(f"/content/{new_id}", data=form)
    assert refused.status_code == 422
    assert "buttons.0.join_chat_id: a join button&#39;s link is herald&#39;s invite link" in (
        refused.text
    )


async def test_a_variants_media_are_written_and_shown_again(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    photo = await site.runtime.media.add(png(16, 16), name="c.png")
    page = await site.client.get("/content/new/promo")
    form = {"csrf": csrf_of(page), "title": "VIP", "body": "Join", "enabled": "on",
            "variant-0-body": "See the chart", "variant-0-media": "x1",
            "variant-1-body": "Read the words"}  # fmt: skip
    refused = await site.client.post("/content/new/promo", data=form)
    assert refused.status_code == 422
    assert "variants.0.media.0:" in refused.text
    form["variant-0-media"] = str(photo.id)
    created = await site.client.post("/content/new/promo", data=form)
    assert created.status_code == 303, created.text
    new_id = int(created.headers["location"].split("/")[2].split("?")[0])
    promo = await site.runtime.content.get(new_id, Kind.PROMO)
    assert promo is not None and promo.testing is not None
    assert [v.media for v in promo.testing.variants] == [(photo.id,), None]
    edit = await site.client.get(f"/content/{new_id}")
    assert f'name="variant-0-media" value="{photo.id}"' in edit.text
    assert 'name="variant-1-media" value=""' in edit.text
