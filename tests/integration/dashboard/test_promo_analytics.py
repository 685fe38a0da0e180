"""A promo's own analytics page: people's clicks and flagged hits over time, reach,
CTR by chat and by post; and its posts as CSV."""

from __future__ import annotations

import csv
import io

from herald.auth import Role
from herald.clock import FakeClock
from herald.scheduling.content import Button, ContentDraft, Kind
from herald.scheduling.schedules import ScheduleKind, ScheduleSpec
from herald.tracking.clicks import NewClick
from tests.integration.dashboard.conftest import Site
from tests.support.dashboard import sign_in

GROUP = "-1001000000001"


async def test_a_promo_page_shows_reach_ctr_by_chat_and_post(site: Site, clock: FakeClock) -> None:
    rt = site.runtime
    site.telegram.member_counts[GROUP] = 400
    promo_id = await rt.content.create(
        Kind.PROMO, ContentDraft(title="Gold week", body="Go.", buttons=(Button("Ask", None),))
    )
    spec = ScheduleSpec("gold", ScheduleKind.PLAYLIST, chat_ids=[GROUP], items=[promo_id])
    schedule_id = await rt.schedules.create(spec)
    await rt.runner.run_now(schedule_id)
    await rt.worker(exclusive=False).drain()
    [message] = [m for m in site.telegram.messages if str(m["chat"]["id"]) == GROUP]
    for user in (1, 2, 2):
        await rt.clicks.record(
            NewClick(
                "callback",
                clock.now(),
                promo_id=promo_id,
                cta=0,
                telegram_user_id=user,
                chat_id=GROUP,
                message_id=message["message_id"],
            )
        )
    await rt.clicks.record(NewClick("link", clock.now(), promo_id=promo_id, flag="preview"))
    await rt.clicks.flush()

    await sign_in(site.client, site.keys[Role.VIEWER])
    page = (await site.client.get(f"/analytics/promos/{promo_id}")).text
    assert "<dt>people's clicks</dt><dd>3</dd>" in page
    assert "<dt>flagged hits</dt><dd>1 " in page
    assert "<dt>members reached</dt><dd>400</dd>" in page
    assert '<dd id="promo-ctr">0.50 % ' in page  # 2 unique clickers of 400 members
    assert page.count('<polyline class="series"') == 2  # people's clicks, flagged hits
    assert (
        f'<tr data-chat="{GROUP}"><td><code>{GROUP}</code></td><td class="num">1</td>'
        '<td class="num">400</td><td class="num">3</td><td class="num">2</td>'
        '<td class="num">0</td><td class="num">0.50 %</td></tr>'
    ) in page
    overview = (await site.client.get("/analytics")).text
    assert f'href="/analytics/promos/{promo_id}"' in overview
    assert (await site.client.get("/analytics/promos/999999")).status_code == 404

    key = {"Authorization": f"Bearer {site.keys[Role.VIEWER]}"}
    exported = await site.client.get(f"/api/v1/analytics/promos/{promo_id}/posts.csv", headers=key)
    [post] = list(csv.DictReader(io.StringIO(exported.text)))
    assert (post["chat_id"], post["message_id"], post["members"]) == (
        GROUP,
        str(message["message_id"]),
        "400",
    )
    assert (post["clicks"], post["unique_clickers"], post["click_through_rate"]) == (
        "3",
        "2",
        "0.005",
    )
