"""The webhooks page on both databases: an admin adds an endpoint (the secret shown once),
disables, tests, rotates and deletes it, sees its attempts; a viewer only reads, each
endpoint's limits among it."""

from __future__ import annotations

import re

import sqlalchemy as sa

from herald.auth import Role
from herald.db import tables
from herald.webhooks import NewEndpoint
from tests.integration.dashboard.conftest import Site
from tests.support.dashboard import csrf_of, sign_in

PUBLIC = "https://93.184.216.34/hook"


def secret_on(page: str) -> str:
    found = re.search(r'<pre id="new-secret">(whsec_[^<]+)</pre>', page)
    assert found, page[:2000]
    return found.group(1)


async def test_an_admin_runs_an_endpoint_from_the_page(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    page = await site.client.get("/webhooks")
    csrf = csrf_of(page)
    refused = await site.client.post(
        "/webhooks", data={"csrf": csrf, "url": "https://10.0.0.1/h", "events": "*"}
    )
    assert refused.status_code == 422 and "url: 10.0.0.1" in refused.text

    added = await site.client.post(
        "/webhooks", data={"csrf": csrf, "url": PUBLIC, "events": "delivery.*, click.recorded"}
    )
    assert added.status_code == 200 and added.headers["cache-control"] == "no-store"
    secret = secret_on(added.text)
    [endpoint] = await site.runtime.webhooks.all()
    assert endpoint.events == ["delivery.*", "click.recorded"] and endpoint.secret == secret
    listed = (await site.client.get("/webhooks")).text
    assert PUBLIC in listed and secret not in listed and "no attempts yet" in listed

    disabled = await site.client.post(f"/webhooks/{endpoint.id}/disable", data={"csrf": csrf})
    assert disabled.status_code == 303
    assert not (await site.runtime.webhooks.get(endpoint.id)).enabled
    await site.client.post(f"/webhooks/{endpoint.id}/enable", data={"csrf": csrf})
    tested = await site.client.post(f"/webhooks/{endpoint.id}/test", data={"csrf": csrf})
    assert tested.status_code == 303 and "webhook-tested" in tested.headers["location"]
    d = tables.deliveries
    async with site.runtime.db.read() as conn:
        queued = await conn.scalar(sa.select(sa.func.count()).where(d.c.channel == "webhook"))
    assert queued == 1

    rotated = await site.client.post(f"/webhooks/{endpoint.id}/rotate", data={"csrf": csrf})
    assert secret_on(rotated.text) != secret
    assert "the previous secret signs until" in rotated.text
    deleted = await site.client.post(f"/webhooks/{endpoint.id}/delete", data={"csrf": csrf})
    assert deleted.status_code == 303 and await site.runtime.webhooks.all() == []
    missing = await site.client.post(f"/webhooks/{endpoint.id}/test", data={"csrf": csrf})
    assert missing.status_code == 404


async def test_a_viewer_reads_and_cannot_change(site: Site) -> None:
    await site.runtime.webhooks.create(NewEndpoint(PUBLIC, ["*"], max_in_flight=2))
    await sign_in(site.client, site.keys[Role.VIEWER])
    page = await site.client.get("/webhooks")
    assert "limits: 2 in flight · 20 per second (default)" in page.text  # its own, the default
    assert (
        PUBLIC in page.text
        and "Rotate the secret" not in page.text
        and "New endpoint" not in page.text
    )
    refused = await site.client.post("/webhooks/1/disable", data={"csrf": csrf_of(page)})
    assert refused.status_code == 403
