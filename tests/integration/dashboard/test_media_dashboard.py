"""Media in the dashboard: the content editor uploads a file or picks the library's,
with thumbnails and kind labels, and previews the post with its media; the sandbox
inbox draws a media post and an album as Telegram would (images, then the caption)."""

from __future__ import annotations

import re

import pytest

from herald.auth import Role
from herald.clock import FakeClock
from herald.config import load_settings
from herald.scheduling.content import Kind
from herald.scheduling.defaults import SANDBOX_DEMO_CHAT
from tests.integration.dashboard.conftest import Site
from tests.support.app import serve
from tests.support.dashboard import csrf_of, sign_in
from tests.support.media_files import pdf, png
from tests.support.posting import post_now

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def checked_media(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="media" value="(\d+)" checked', page)]


async def test_the_editor_uploads_a_file_and_shows_it(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    new = await site.client.get("/content/new/guide")
    assert 'enctype="multipart/form-data"' in new.text
    form = {"csrf": csrf_of(new), "title": "Chart", "body": "Support at 1.08", "enabled": "on"}
    created = await site.client.post(
        "/content/new/guide", data=form, files={"media_file": ("chart.png", png(400, 300))}
    )
    assert created.status_code == 303, created.text
    item_id = int(created.headers["location"].split("/")[2].split("?")[0])
    item = await site.runtime.content.get(item_id)
    assert item is not None and len(item.media) == 1
    [media_id] = item.media

    page = await site.client.get(f"/content/{item_id}")
    assert checked_media(page.text) == [media_id]
    assert f'<img src="/media/{media_id}" alt="" loading="lazy">' in page.text  # a thumbnail
    assert '<span class="kind kind-photo">photo</span> <span class="name">chart.png</span>' in (
        page.text
    )
    # The preview is the post: the photo, then the text as its caption.
    assert f'<img class="tg-photo" src="/media/{media_id}" alt="chart.png"' in page.text
    assert "tg-album-1" in page.text
    served = await site.client.get(f"/media/{media_id}")
    assert served.content == png(400, 300) and served.headers["content-type"] == "image/png"


async def test_the_editor_refuses_what_the_api_refuses(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    new = await site.client.get("/content/new/guide")
    form = {"csrf": csrf_of(new), "title": "T", "body": "B"}
    page = b"<html><script>alert(1)</script></html>"
    refused = await site.client.post(
        "/content/new/guide", data=form, files={"media_file": ("x.png", page)}
    )
    assert refused.status_code == 422
    assert "media_file: not a type herald sends" in refused.text
    assert await site.runtime.media.latest() == []
    photo = await site.runtime.media.add(png(10, 10), name="p.png")
    doc = await site.runtime.media.add(pdf(), name="r.pdf")
    mixed = await site.client.post(
        "/content/new/guide", data={**form, "media": [str(photo.id), str(doc.id)]}
    )
    assert mixed.status_code == 422
    assert "media: an album holds photos and videos, or documents only" in mixed.text


async def test_an_album_is_picked_from_the_library_in_order(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    a = await site.runtime.media.add(png(30, 20, 1), name="a.png")
    b = await site.runtime.media.add(png(30, 20, 2), name="b.png")
    await site.runtime.media.add(pdf(), name="report.pdf")
    guide = (await site.runtime.content.all(Kind.GUIDE))[0]
    page = await site.client.get(f"/content/{guide.id}")
    assert checked_media(page.text) == []
    assert '<span class="kind kind-document">document</span> <span class="name">report.pdf' in (
        page.text
    )
    form = {"csrf": csrf_of(page), "title": "Two", "body": "Charts", "enabled": "on",
            "button-0-text": "More", "button-0-url": "https://example.com/more",
            "media": [str(b.id), str(a.id)]}  # fmt: skip
    saved = await site.client.post(f"/content/{guide.id}", data=form)
    assert saved.status_code == 303, saved.text
    stored = await site.runtime.content.get(guide.id)
    assert stored is not None and stored.media == (b.id, a.id)
    again = await site.client.get(f"/content/{guide.id}")
    assert checked_media(again.text) == [b.id, a.id]  # the post's order first
    assert "tg-album-2" in again.text
    assert 'class="bubble tg-follow-up"' in again.text and ">Two</div>" in again.text


async def test_media_needs_a_session(site: Site) -> None:
    photo = await site.runtime.media.add(png(10, 10), name="p.png")
    assert (await site.client.get(f"/media/{photo.id}")).status_code == 303
    await sign_in(site.client, site.keys[Role.VIEWER])
    assert (await site.client.get(f"/media/{photo.id}")).status_code == 200
    assert (await site.client.get("/media/999999")).status_code == 404


async def test_the_sandbox_inbox_draws_a_media_post_and_an_album(
    database_url: str, clock: FakeClock
) -> None:
    settings = load_settings(env="dev", database_url=database_url)
    async with serve(settings, clock=clock) as (client, runtime):
        ids = [
            (
                await client.post("/api/v1/media", files={"file": (f"c{i}.png", png(64, 48, i))})
            ).json()["id"]
            for i in range(3)
        ]
        one = await client.post(
            "/api/v1/guides", json={"title": "Solo", "body": "One chart", "media": ids[:1]}
        )
        album = await client.post(
            "/api/v1/promos",
            json={"title": "Pair", "body": "Two charts", "media": ids[1:],
                  "buttons": [{"text": "Join", "url": "https://example.com/join"}]},
        )  # fmt: skip
        for item in (one, album):
            await post_now(client, runtime, item.json()["id"], SANDBOX_DEMO_CHAT)

        _, key = await runtime.api_keys.create("viewer", Role.VIEWER)
        del client.headers["Authorization"]
        assert (await sign_in(client, key)).status_code == 303
        inbox = (await client.get("/sandbox?channel=telegram")).text
    for media_id in ids:
        assert f'<img class="tg-photo" src="/media/{media_id}"' in inbox
    assert inbox.count("tg-album-1") == 1 and inbox.count("tg-album-2") == 1
    assert "<b>Pair</b><br><br>Two charts" in inbox  # the caption under the album
    assert 'class="bubble tg-follow-up"' in inbox  # then the buttons' own message
