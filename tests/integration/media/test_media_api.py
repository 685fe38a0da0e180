"""POST /api/v1/media: files uploaded or registered by URL, checked by their content,
within the Bot API's limits, and never fetched from the operator's own network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from httpx import AsyncClient

from herald.clock import FakeClock
from herald.config import load_settings
from herald.media.kinds import MB
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.media_files import gif, mp4, pdf, png

MEDIA = "/api/v1/media"


def refused(response: Any) -> list[tuple[list[str], str]]:
    return [(e["loc"], e["msg"]) for e in response.json()["detail"]]


async def test_an_upload_is_described_and_served_back(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    chart = png(640, 480)
    created = await client.post(MEDIA, files={"file": ("chart.png", chart, "text/plain")})
    assert created.status_code == 201, created.text
    body = created.json()
    assert {k: body[k] for k in ("kind", "mime", "size", "name", "width", "height")} == {
        "kind": "photo", "mime": "image/png", "size": len(chart), "name": "chart.png",
        "width": 640, "height": 480,
    }  # fmt: skip
    assert body["content_url"] == f"{MEDIA}/{body['id']}/content"

    one = await client.get(f"{MEDIA}/{body['id']}")
    assert one.json() == body
    content = await client.get(body["content_url"])
    assert content.content == chart
    assert content.headers["content-type"] == "image/png"
    assert content.headers["x-content-type-options"] == "nosniff"
    assert (await client.get(MEDIA)).json()[0]["id"] == body["id"]
    assert (await client.get(f"{MEDIA}/999999")).status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "kind", "expected"),
    [
        ("clip.gif", gif(), None, "animation"),
        ("clip.mp4", mp4(), None, "video"),
        ("clip.mp4", mp4(), "animation", "animation"),
        ("report.pdf", pdf(), None, "document"),
        ("chart.png", png(10, 10), "document", "document"),
    ],
)
async def test_the_kind_is_the_contents_or_the_one_asked_if_it_fits(
    api: tuple[AsyncClient, Runtime], name: str, data: bytes, kind: str | None, expected: str
) -> None:
    client, _ = api
    form = {"kind": kind} if kind else {}
    created = await client.post(MEDIA, files={"file": (name, data)}, data=form)
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == expected


async def test_the_name_proves_nothing(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    page = b"<html><script>alert(document.cookie)</script></html>"
    fake = await client.post(MEDIA, files={"file": ("chart.png", page, "image/png")})
    assert fake.status_code == 422
    [(loc, msg)] = refused(fake)
    assert loc == ["body", "file"] and "judged by the file's content" in msg

    wrong = await client.post(MEDIA, files={"file": ("r.pdf", pdf())}, data={"kind": "photo"})
    assert refused(wrong) == [
        (["body", "kind"], "a photo must be image/jpeg, image/png, image/webp; "
                           "this file is application/pdf")
    ]  # fmt: skip
    bad_kind = await client.post(MEDIA, files={"file": ("r.pdf", pdf())}, data={"kind": "audio"})
    assert refused(bad_kind)[0][0] == ["body", "kind"]
    missing = await client.post(MEDIA, files={"other": ("r.pdf", pdf())})
    assert refused(missing)[0][0] == ["body", "file"]


async def test_over_the_bot_apis_limits_is_a_413(api: tuple[AsyncClient, Runtime]) -> None:
    client, _ = api
    big_photo = png(100, 100) + bytes(10 * MB)
    answer = await client.post(MEDIA, files={"file": ("big.png", big_photo)})
    assert answer.status_code == 413
    [(loc, msg)] = refused(answer)
    assert loc == ["body", "file"] and msg.startswith("a photo may be at most 10 MB")
    as_document = await client.post(
        MEDIA, files={"file": ("big.png", big_photo)}, data={"kind": "document"}
    )
    assert as_document.status_code == 201  # a document may be 50 MB


async def test_a_viewer_reads_but_does_not_upload(database_url: str, clock: FakeClock) -> None:
    from herald.auth import Role

    settings = load_settings(env="dev", database_url=database_url)
    async with serve(settings, clock, role=Role.VIEWER) as (client, _):
        answer = await client.post(MEDIA, files={"file": ("c.png", png(5, 5))})
        assert answer.status_code == 403
        assert (await client.get(MEDIA)).status_code == 200


@pytest.fixture
async def file_server() -> AsyncIterator[str]:
    """A web server on loopback: /chart.png, /moved (a redirect to it), /missing (404)."""

    async def chart(_: web.Request) -> web.Response:
        return web.Response(body=png(320, 200))

    async def moved(_: web.Request) -> web.Response:
        raise web.HTTPFound("/chart.png")

    app = web.Application()
    app.router.add_get("/chart.png", chart)
    app.router.add_get("/moved", moved)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/chart.png",
        "http://localhost:{port}/chart.png",
        "http://[::1]:{port}/chart.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/chart.png",
        "http://[::ffff:127.0.0.1]:{port}/chart.png",
    ],
)
async def test_urls_into_the_operators_network_are_refused(
    api: tuple[AsyncClient, Runtime], file_server: str, url: str
) -> None:
    client, runtime = api
    port = file_server.rsplit(":", 1)[1]
    answer = await client.post(MEDIA, json={"url": url.format(port=port)})
    assert answer.status_code == 422, answer.text
    [(loc, msg)] = refused(answer)
    assert loc == ["body", "url"]
    assert "not a public address; set HERALD_MEDIA_ALLOW_PRIVATE_URLS=true" in msg
    assert await runtime.media.latest() == []


async def test_a_setting_allows_a_private_url(
    database_url: str, clock: FakeClock, file_server: str
) -> None:
    settings = load_settings(env="dev", database_url=database_url, media_allow_private_urls=True)
    async with serve(settings, clock) as (client, _):
        moved = await client.post(MEDIA, json={"url": f"{file_server}/moved"})
        assert moved.status_code == 201, moved.text
        body = moved.json()
        assert (body["kind"], body["name"], body["width"]) == ("photo", "chart.png", 320)
        assert body["source_url"] == f"{file_server}/moved"
        assert (await client.get(body["content_url"])).content == png(320, 200)

        missing = await client.post(MEDIA, json={"url": f"{file_server}/missing"})
        assert refused(missing) == [(["body", "url"], "the URL answered 404")]
        not_http = await client.post(MEDIA, json={"url": "file:///etc/passwd"})
        assert refused(not_http)[0][0] == ["body", "url"]
