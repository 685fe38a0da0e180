"""Every page, for every role, on both databases, with the headers every page carries."""

from __future__ import annotations

import pytest

from herald.auth import Role
from herald.queue import NewDelivery
from tests.integration.dashboard.conftest import Site
from tests.support.dashboard import sign_in

PAGES = ["/", "/schedules", "/schedules/1", "/content", "/content/1", "/content/new/promo",
         "/deliveries", "/deliveries?state=dead", "/deliveries/1", "/analytics",
         "/analytics?span=48h", "/analytics/promos/5", "/analytics/promos/5?span=48h",
         "/recipients", "/sandbox", "/sandbox?channel=email", "/webhooks"]  # fmt: skip


@pytest.mark.parametrize("role", list(Role))
async def test_every_page_renders_for_every_role(site: Site, role: Role) -> None:
    await site.runtime.queue.enqueue(NewDelivery("email", "a@example.com", {"subject": "s"}))
    await sign_in(site.client, site.keys[role])
    for path in PAGES:
        page = await site.client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert "script" not in page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert "<script" not in page.text
    keys = await site.client.get("/keys")
    assert keys.status_code == (200 if role is Role.OWNER else 403)
    assert ('href="/keys"' in (await site.client.get("/")).text) is (role is Role.OWNER)
