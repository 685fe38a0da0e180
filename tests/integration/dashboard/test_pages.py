"""The dashboard over HTTP: sign-in, sessions, roles, CSRF, and each page's work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from herald.auth import Role
from herald.channels import SandboxSender
from herald.clock import FakeClock
from herald.config import DEV_SECRET_KEY
from herald.queue import DeliveryFilter, Lane, NewDelivery, State
from herald.queue import admin as queue_admin
from herald.runtime import Runtime
from herald.scheduling.content import Kind
from herald.tracking.clicks import NewClick
from herald.web.dashboard.session import COOKIE, SessionCodec
from tests.integration.dashboard.conftest import Site
from tests.support.dashboard import csrf_of, sign_in
from tests.support.fake_telegram import forbidden

# The pages' queries are the stores' (tested on both databases); one module renders
# every page on both, the rest run on SQLite only.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_pages_need_a_session_and_return_to_where_they_were(site: Site) -> None:
    page = await site.client.get("/deliveries?state=dead")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/deliveries%3Fstate%3Ddead"
    signed_in = await sign_in(site.client, site.keys[Role.VIEWER], "/deliveries?state=dead")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/deliveries?state=dead"


async def test_the_session_cookie_is_signed_httponly_and_names_no_secret(site: Site) -> None:
    signed_in = await sign_in(site.client, site.keys[Role.ADMIN])
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith(COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert site.keys[Role.ADMIN] not in cookie
    value = site.client.cookies[COOKIE]
    site.client.cookies.set(COOKIE, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert (await site.client.get("/")).status_code == 303  # tampered: back to the login


async def test_a_session_ends_when_it_expires_or_its_key_is_revoked(
    site: Site, clock: FakeClock
) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    assert (await site.client.get("/")).status_code == 200
    clock.advance(12 * 3600 + 5)
    assert (await site.client.get("/")).status_code == 303
    await sign_in(site.client, site.keys[Role.ADMIN])
    admin = next(k for k in await site.runtime.api_keys.list() if k.role is Role.ADMIN)
    await site.runtime.api_keys.revoke(admin.id)
    assert (await site.client.get("/")).status_code == 303


async def test_sign_in_refuses_a_bad_key_a_stale_form_and_foreign_next(site: Site) -> None:
    refused = await sign_in(site.client, "hk_not-a-key")
    assert refused.status_code == 401
    assert "api_key: unknown or revoked API key" in refused.text
    stale = await site.client.post(
        "/login", data={"api_key": site.keys[Role.OWNER], "csrf": "forged", "next": "/"}
    )
    assert stale.status_code == 403
    assert COOKIE not in site.client.cookies
    for foreign in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        site.client.cookies.clear()
        signed_in = await sign_in(site.client, site.keys[Role.OWNER], foreign)
        assert signed_in.headers["location"] == "/"


async def test_sign_in_is_rate_limited_per_client(site: Site) -> None:
    codes = [(await sign_in(site.client, "hk_guess")).status_code for _ in range(7)]
    assert codes[:5] == [401] * 5
    assert codes[5:] == [429, 429]
    limited = await sign_in(site.client, site.keys[Role.OWNER])
    assert limited.status_code == 429  # even the right key waits: no oracle for guesses
    assert int(limited.headers["retry-after"]) >= 1


async def test_a_viewer_sees_no_controls_and_the_server_refuses_them(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.VIEWER])
    page = await site.client.get("/schedules")
    assert "/pause" not in page.text and "/run" not in page.text
    csrf = csrf_of(page)  # the sign-out form's token: a valid one for this session
    for path in ("/schedules/1/pause", "/schedules/1/run", "/deliveries/replay", "/content/1"):
        refused = await site.client.post(path, data={"csrf": csrf, "title": "x", "body": "y"})
        assert refused.status_code == 403, path
        assert "needs the admin role" in refused.text
    schedule = await site.runtime.schedules.get(1)
    assert schedule is not None and schedule.enabled
    assert (await site.runtime.content.get(1)) is not None
    keys = await site.client.post("/keys", data={"csrf": csrf, "name": "x", "role": "owner"})
    assert keys.status_code == 403


async def test_forms_without_their_csrf_token_are_refused(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    for data in ({}, {"csrf": "not-the-token"}):
        refused = await site.client.post("/schedules/1/pause", data=data)
        assert refused.status_code == 403
        assert "stale or from another site" in refused.text
    schedule = await site.runtime.schedules.get(1)
    assert schedule is not None and schedule.enabled


async def test_pause_resume_and_run_a_schedule_now(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    csrf = csrf_of(await site.client.get("/schedules"))
    paused = await site.client.post("/schedules/1/pause", data={"csrf": csrf})
    assert paused.headers["location"] == "/schedules?notice=paused"
    page = await site.client.get(paused.headers["location"])
    assert "Schedule paused." in page.text and ">Resume<" in page.text
    schedule = await site.runtime.schedules.get(1)
    assert schedule is not None and not schedule.enabled
    await site.client.post("/schedules/1/resume", data={"csrf": csrf})
    schedule = await site.runtime.schedules.get(1)
    assert schedule is not None and schedule.enabled
    await site.runtime.schedules.add_chat(1, "-100777")
    ran = await site.client.post("/schedules/1/run", data={"csrf": csrf})
    assert ran.headers["location"] == "/schedules/1?notice=posted"
    runs = await site.runtime.runs.runs(1)
    assert [(r.trigger, r.chats) for r in runs] == [("manual", 1)]
    await site.runtime.worker(exclusive=False).drain()
    assert [r.params["chat_id"] for r in site.telegram.requests_for("sendMessage")] == ["-100777"]
    detail = await site.client.get("/schedules/1")
    assert "manual" in detail.text and "-100777" in detail.text


async def test_dead_letters_are_listed_and_replayed_one_or_all_matching(site: Site) -> None:
    rt = site.runtime
    for chat in ("111", "222", "333"):
        site.telegram.script(chat, forbidden())
        await rt.queue.enqueue(NewDelivery("telegram", chat, {"text": f"to {chat}"}))
    await rt.worker(exclusive=False).drain()
    dead = await queue_admin.list_deliveries(rt.queue, DeliveryFilter(state=State.DEAD))
    assert len(dead) == 3
    await sign_in(site.client, site.keys[Role.ADMIN])
    listing = await site.client.get("/deliveries?state=dead")
    assert "Replay 3 dead letter(s) matching" in listing.text
    assert "bot was blocked by the user" in listing.text
    one = await site.client.get(f"/deliveries/{dead[0].id}")
    assert "1 of" in one.text and "bot was blocked" in one.text
    replayed = await site.client.post(
        f"/deliveries/{dead[0].id}/replay", data={"csrf": csrf_of(one)}
    )
    assert replayed.headers["location"] == f"/deliveries/{dead[0].id}?notice=replayed&n=1"
    assert (await rt.queue.get(dead[0].id)).state is State.PENDING  # type: ignore[union-attr]
    again = await site.client.post(f"/deliveries/{dead[0].id}/replay", data={"csrf": csrf_of(one)})
    assert again.status_code == 409
    rest = await site.client.post(
        "/deliveries/replay", data={"csrf": csrf_of(listing), "channel": "telegram"}
    )
    assert rest.headers["location"] == "/deliveries?state=dead&notice=replayed&n=2"
    assert await queue_admin.count_dead(rt.queue, DeliveryFilter()) == 0
    await rt.worker(exclusive=False).drain()
    assert sorted(r.params["chat_id"] for r in site.telegram.requests_for("sendMessage")) == [
        "111", "111", "222", "222", "333", "333"
    ]  # fmt: skip


async def test_deliveries_can_be_searched_by_state_channel_and_error(site: Site) -> None:
    rt = site.runtime
    site.telegram.script("444", forbidden())
    await rt.queue.enqueue(NewDelivery("telegram", "444", {"text": "dead"}))
    await rt.queue.enqueue(NewDelivery("telegram", "555", {"text": "fine"}))
    await rt.worker(exclusive=False).drain()
    await sign_in(site.client, site.keys[Role.VIEWER])
    found = await site.client.get("/deliveries", params={"error": "blocked"})
    assert ">444<" in found.text and ">555<" not in found.text
    sent = await site.client.get("/deliveries", params={"state": "sent", "channel": "telegram"})
    assert ">555<" in sent.text and ">444<" not in sent.text
    bad = await site.client.get("/deliveries", params={"state": "lost"})
    assert bad.status_code == 422 and "state" in bad.text


async def test_content_is_edited_through_the_apis_rules_and_previewed_escaped(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    guide = (await site.runtime.content.all(Kind.GUIDE))[0]
    page = await site.client.get(f"/content/{guide.id}")
    assert 'class="tg"' in page.text  # the preview, drawn like the post
    form = {"csrf": csrf_of(page), "title": "<b>Risk</b> *rules*", "body": "1 < 2 & 3",
            "enabled": "on", "button-0-text": "Read", "button-0-url": ""}  # fmt: skip
    refused = await site.client.post(f"/content/{guide.id}", data=form)
    assert refused.status_code == 422
    assert "buttons.0.url: a guide&#39;s buttons are links: url is required" in refused.text
    form["button-0-url"] = "javascript:alert(1)"
    refused = await site.client.post(f"/content/{guide.id}", data=form)
    assert "buttons.0.url: String should match pattern" in refused.text
    form["button-0-url"] = "https://example.com/risk"
    preview = await site.client.post(f"/content/{guide.id}/preview", data=form)
    assert "<b>&lt;b&gt;Risk&lt;/b&gt; *rules*</b>" in preview.text
    assert "1 &lt; 2 &amp; 3" in preview.text
    saved = await site.client.post(f"/content/{guide.id}", data=form)
    assert saved.headers["location"] == f"/content/{guide.id}?notice=saved"
    stored = await site.runtime.content.get(guide.id)
    assert stored is not None and stored.title == "<b>Risk</b> *rules*"
    assert [(b.text, b.url) for b in stored.buttons] == [("Read", "https://example.com/risk")]


async def test_a_new_promo_with_a_tracked_button(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    page = await site.client.get("/content/new/promo")
    created = await site.client.post(
        "/content/new/promo",
        data={
            "csrf": csrf_of(page),
            "title": "VIP",
            "body": "Join",
            "enabled": "on",
            "alert_text": "Thanks!",
            "button-0-text": "I want it",
        },
    )
    assert created.status_code == 303
    new_id = int(created.headers["location"].split("/")[2].split("?")[0])
    promo = await site.runtime.content.get(new_id, Kind.PROMO)
    assert promo is not None and promo.buttons[0].callback and promo.alert_text == "Thanks!"


async def test_a_markdown_body_is_chosen_in_a_select_and_previewed_as_the_app_shows_it(
    site: Site,
) -> None:
    await sign_in(site.client, site.keys[Role.ADMIN])
    page = await site.client.get("/content/new/guide")
    assert '<option value="plain" selected>plain</option>' in page.text
    form = {"csrf": csrf_of(page), "title": "Sizing", "format": "markdown", "enabled": "on",
            "body": "**Risk** [guide](https://example.com/g)\n>! long\n```py\nx = 1\n```",
            "button-0-text": "Read", "button-0-url": "https://example.com/r"}  # fmt: skip
    created = await site.client.post("/content/new/guide", data=form)
    assert created.status_code == 303, created.text
    new_id = int(created.headers["location"].split("/")[2].split("?")[0])
    edit = await site.client.get(f"/content/{new_id}")
    assert '<option value="markdown" selected>markdown</option>' in edit.text
    assert (
        '<b>Sizing</b><br><br><b>Risk</b> <a href="https://example.com/g" '
        'rel="noopener noreferrer">guide</a><br><blockquote class="expandable">long</blockquote>'
        '<br><pre data-language="py">x = 1</pre>'
    ) in edit.text
    form["body"] = "**Risk\nnever closed**"
    refused = await site.client.post(f"/content/{new_id}/preview", data=form)
    assert refused.status_code == 422
    assert "body: line 1, column 1: ** (bold) is never closed on this line" in refused.text


async def test_the_analytics_page_charts_clicks_per_promo(site: Site, clock: FakeClock) -> None:
    promos = await site.runtime.content.all(Kind.PROMO)
    now = clock.now()
    for day, users in ((0, (1, 2, 3)), (2, (1,))):
        for user in users:
            await site.runtime.clicks.record(
                NewClick(
                    "callback",
                    now - timedelta(days=day),
                    promo_id=promos[0].id,
                    cta=0,
                    telegram_user_id=user,
                )
            )
    await site.runtime.clicks.flush()
    await sign_in(site.client, site.keys[Role.VIEWER])
    page = await site.client.get("/analytics")
    assert page.text.count('<polyline class="series"') == 1
    assert f"#{promos[0].id} {promos[0].title} (4)" in page.text
    assert '<td class="num">4</td><td class="num">3</td>' in page.text  # clicks, unique


async def test_the_sandbox_inbox_shows_mail_as_it_would_look(site: Site) -> None:
    rt = site.runtime
    await rt.queue.enqueue(
        NewDelivery(
            "email",
            "a@example.com",
            {"subject": "Stop-loss hit", "text": "hit", "html": "<p><b>hit</b></p>"},
        )
    )
    await rt.worker(exclusive=False).drain()
    await sign_in(site.client, site.keys[Role.VIEWER])
    page = await site.client.get("/sandbox?channel=email")
    assert "Stop-loss hit" in page.text
    assert 'sandbox srcdoc="&lt;p&gt;&lt;b&gt;hit&lt;/b&gt;&lt;/p&gt;"' in page.text
    overview = await site.client.get("/")
    assert "Sandbox: <b>email, push</b>" in overview.text


async def test_the_owner_creates_and_revokes_keys(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.OWNER])
    page = await site.client.get("/keys")
    created = await site.client.post(
        "/keys", data={"csrf": csrf_of(page), "name": "grafana", "role": "viewer"}
    )
    assert created.headers["cache-control"] == "no-store"
    secret = created.text.split('<pre id="new-key">')[1].split("</pre>")[0]
    assert await site.runtime.api_keys.authenticate(secret) is not None
    assert secret not in (await site.client.get("/keys")).text  # shown once
    bad = await site.client.post("/keys", data={"csrf": csrf_of(page), "name": "", "role": "x"})
    assert bad.status_code == 422 and "name: give the key a name" in bad.text
    key = next(k for k in await site.runtime.api_keys.list() if k.name == "grafana")
    await site.client.post(f"/keys/{key.id}/revoke", data={"csrf": csrf_of(page)})
    assert await site.runtime.api_keys.authenticate(secret) is None


async def test_sign_out_ends_the_session_even_for_a_copied_cookie(
    site: Site, clock: FakeClock
) -> None:
    await sign_in(site.client, site.keys[Role.VIEWER])
    clock.advance(1)
    page = await site.client.get("/")
    copied = site.client.cookies[COOKIE]
    out = await site.client.post("/logout", data={"csrf": csrf_of(page)})
    assert out.headers["location"] == "/login?notice=signed-out"
    assert (await site.client.get("/")).status_code == 303
    site.client.cookies.set(COOKIE, copied)
    assert (await site.client.get("/")).status_code == 303  # over on the server too
    site.client.cookies.clear()
    await sign_in(site.client, site.keys[Role.VIEWER])
    assert (await site.client.get("/")).status_code == 200


async def test_a_session_signed_with_the_public_dev_key_is_refused(site: Site) -> None:
    assert site.runtime.settings.secret_key.get_secret_value() == DEV_SECRET_KEY
    owner = next(k for k in await site.runtime.api_keys.list() if k.role is Role.OWNER)
    _, forged = SessionCodec(DEV_SECRET_KEY, timedelta(hours=1)).issue(
        owner.id, Role.OWNER, site.runtime.clock.now()
    )
    site.client.cookies.set(COOKIE, forged)
    assert (await site.client.get("/keys")).status_code == 303


async def test_replaying_all_matching_keeps_to_the_lane(site: Site) -> None:
    rt = site.runtime
    site.telegram.script("600", forbidden(), forbidden())
    await rt.queue.enqueue(NewDelivery("telegram", "600", {"text": "alert"}))
    await rt.queue.enqueue(NewDelivery("telegram", "600", {"text": "promo"}, lane=Lane.CAMPAIGN))
    await rt.worker(exclusive=False).drain()
    await sign_in(site.client, site.keys[Role.ADMIN])
    listing = await site.client.get("/deliveries?state=dead&lane=campaign")
    assert "Replay 1 dead letter(s) matching" in listing.text
    replayed = await site.client.post(
        "/deliveries/replay", data={"csrf": csrf_of(listing), "lane": "campaign"}
    )
    assert replayed.headers["location"].endswith("n=1")
    [left] = await queue_admin.list_deliveries(rt.queue, DeliveryFilter(state=State.DEAD))
    assert left.lane is Lane.TRANSACTIONAL
    overview = await site.client.get("/")
    assert (
        '<div class="figure">0</div><div>waiting to retry' in overview.text
    )  # a replay is no retry


async def test_pages_end_where_the_data_ends_and_odd_payloads_still_render(site: Site) -> None:
    rt = site.runtime
    await rt.queue.enqueue_many(
        [NewDelivery("email", f"u{i}@example.com", {"subject": "s"}) for i in range(50)]
    )
    await sign_in(site.client, site.keys[Role.VIEWER])
    assert "Older" not in (await site.client.get("/deliveries")).text  # exactly one page
    await rt.queue.enqueue(NewDelivery("email", "u50@example.com", {"subject": "s"}))
    assert "Older" in (await site.client.get("/deliveries")).text
    odd = [
        {},
        {"text": None},
        {"photo": "x", "caption": "*chart*", "parse_mode": "MarkdownV2"},
        {"text": "hi", "buttons": [{"text": "flat"}]},
    ]
    for payload in odd:
        await rt.queue.enqueue(NewDelivery("telegram", "-100700", payload))
    site.telegram.script("-100700")
    sandboxed = Runtime.build(rt.settings, clock=rt.clock, senders={
        "telegram": SandboxSender("telegram", rt.db, rt.clock)})  # fmt: skip
    try:
        await sandboxed.worker(exclusive=False).drain()
    finally:
        await sandboxed.close()
    page = await site.client.get("/sandbox?channel=telegram")
    assert page.status_code == 200
    assert "<b>chart</b>" in page.text and "{}" in page.text


async def test_errors_on_a_page_are_a_page_and_the_apis_stay_json(site: Site) -> None:
    await sign_in(site.client, site.keys[Role.VIEWER])
    missing = await site.client.get("/schedules/999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "schedule 999 not found" in missing.text
    bad = await site.client.get("/analytics", params={"span": "1y"})
    assert bad.status_code == 422 and "span: Input should be" in bad.text
    api = await site.client.get(
        "/api/v1/schedules/999", headers={"Authorization": f"Bearer {site.keys[Role.VIEWER]}"}
    )
    assert api.status_code == 404 and api.json() == {"detail": "schedule 999 not found"}
