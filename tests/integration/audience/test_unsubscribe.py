"""One-click unsubscribe (RFC 8058) end to end: the headers and footer on a campaign
email as a real SMTP server received it, then the POST a mail provider sends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from httpx import AsyncClient

from herald.auth.recipient_links import Purpose, RecipientToken
from herald.channel import Channel
from herald.runtime import Runtime
from tests.integration.audience.conftest import PUBLIC_URL, mail_settings
from tests.integration.test_messaging import SL_VARS
from tests.support.app import serve
from tests.support.logs import log_lines
from tests.support.smtp import SMTPTestServer

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


async def _campaign_mail(client: AsyncClient, runtime: Runtime, **extra: object) -> None:
    """A campaign of ``weekly_promo`` (category promos) to ``reader``, sent."""
    started = await client.post(
        "/api/v1/campaigns",
        json={
            "template": "weekly_promo",
            "vars": {"offer": "2 for 1"},
            "channel": "email",
            "audience": ["reader"],
            **extra,
        },
    )
    assert started.status_code == 202, started.text
    await runtime.worker().drain()


def _unsubscribed(metric: Runtime, category: str, channel: str, source: str) -> float:
    value = metric.metrics.registry.get_sample_value(
        "herald_unsubscribes_total", {"category": category, "channel": channel, "source": source}
    )
    return value or 0.0


async def test_a_campaign_email_carries_herald_s_one_click_link_and_the_post_takes_effect(
    mail_api: tuple[AsyncClient, Runtime], smtp: SMTPTestServer
) -> None:
    client, runtime = mail_api
    await client.put("/api/v1/recipients/reader", json={"email": "reader@example.com"})
    await _campaign_mail(
        client, runtime, list_unsubscribe="mailto:leave@example.com?subject={external_id}"
    )

    [received] = smtp.messages
    message = received.message
    header = message["List-Unsubscribe"]
    found = re.fullmatch(r"<(https://herald\.example\.com/u/([^>]+))>, <mailto:([^>]+)>", header)
    assert found is not None, header
    url, token = found[1], found[2]
    assert found[3] == "leave@example.com?subject=reader"  # the caller's mailto stays beside
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    recipient = await runtime.recipients.get("reader")
    assert recipient is not None
    assert runtime.recipient_links.verify(token, Purpose.UNSUBSCRIBE) == RecipientToken(
        Purpose.UNSUBSCRIBE, recipient.id, "promos", Channel.EMAIL
    )
    # The footer, in both parts: the preference page and the same unsubscribe link.
    text, html = (part.get_content() for part in message.iter_parts())
    page = runtime.recipient_links.preferences_url(recipient.id)
    assert page is not None
    assert f"Unsubscribe: {url}" in text and f"Manage your email preferences: {page}" in text
    assert f'<a href="{url}">Unsubscribe</a>' in html and f'<a href="{page}">' in html

    # What a mail provider sends (RFC 8058 3.2): a POST with this body, no cookies.
    path = url.removeprefix(PUBLIC_URL)
    answer = await client.post(path, data=ONE_CLICK)
    assert answer.status_code == 200
    assert "You are unsubscribed" in answer.text
    prefs = await runtime.preferences.get(recipient.id)
    assert not prefs.accepts("promos", Channel.EMAIL)
    # The link names the campaign's category and email alone.
    assert prefs.accepts("promos", Channel.TELEGRAM) and prefs.accepts(None, Channel.EMAIL)
    assert _unsubscribed(runtime, "promos", "email", "one_click") == 1

    again = await client.post(path, data=ONE_CLICK)
    assert again.status_code == 200  # idempotent, and counted once
    assert _unsubscribed(runtime, "promos", "email", "one_click") == 1

    # The next promo email is held back when it is dispatched; nothing reaches the server.
    await _campaign_mail(client, runtime)
    assert len(smtp.messages) == 1
    skipped = (await client.get("/api/v1/deliveries?state=skipped")).json()
    assert [d["recipient"] for d in skipped] == ["reader@example.com"]


async def test_a_required_template_s_campaign_offers_no_unsubscribe_of_herald_s(
    mail_api: tuple[AsyncClient, Runtime], smtp: SMTPTestServer
) -> None:
    """position_sl_failed is required: opt-outs do not stop it, so no link may say so."""
    client, runtime = mail_api
    await client.put("/api/v1/recipients/reader", json={"email": "reader@example.com"})
    await _campaign_mail(
        client,
        runtime,
        template="position_sl_failed",
        vars=SL_VARS,
        list_unsubscribe="https://app.example.com/u/{external_id}",
    )
    [received] = smtp.messages
    assert received.message["List-Unsubscribe"] == "<https://app.example.com/u/reader>"
    assert "herald.example.com" not in received.raw.decode()


async def test_a_get_only_asks_and_the_page_s_button_posts_the_one_click_body(
    mail_api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = mail_api
    german = {"email": "r@example.com", "locale": "de-AT"}
    await client.put("/api/v1/recipients/reader", json=german)
    recipient = await runtime.recipients.get("reader")
    assert recipient is not None
    ref = RecipientToken(Purpose.UNSUBSCRIBE, recipient.id)
    path = runtime.recipient_links.path(ref)

    for _ in range(3):  # link scanners follow GETs
        shown = await client.get(path)
        assert shown.status_code == 200
    assert 'name="List-Unsubscribe" value="One-Click"' in shown.text
    assert 'lang="de"' in shown.text and "Abmelden" in shown.text  # the recipient's locale
    assert shown.headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in shown.headers["Content-Security-Policy"]
    assert (await runtime.preferences.get(recipient.id)).accepts(None, Channel.EMAIL)

    done = await client.post(path, data=ONE_CLICK)
    assert done.status_code == 200 and "Sie sind abgemeldet" in done.text
    assert (await runtime.preferences.get(recipient.id)).unsubscribed_all


async def test_a_category_link_unsubscribes_from_that_category_alone(
    mail_api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = mail_api
    await client.put("/api/v1/recipients/reader", json={"email": "r@example.com"})
    recipient = await runtime.recipients.get("reader")
    assert recipient is not None
    path = runtime.recipient_links.path(
        RecipientToken(Purpose.UNSUBSCRIBE, recipient.id, "promos", Channel.EMAIL)
    )
    shown = await client.get(path)
    assert "“Promos” messages by Email" in shown.text
    assert (await client.post(path, data=ONE_CLICK)).status_code == 200
    prefs = await runtime.preferences.get(recipient.id)
    assert not prefs.accepts("promos", Channel.EMAIL)
    assert prefs.accepts("promos", Channel.TELEGRAM) and prefs.accepts(None, Channel.EMAIL)
    assert _unsubscribed(runtime, "promos", "email", "one_click") == 1


@pytest.mark.parametrize(
    "path",
    [
        "/u/garbage",
        "/u/u1..email.AAAAAAAAAAAAAAAAAAAAAA",  # well formed, forged
        "/u/" + "x" * 5000,
        "/u/u1..%00.sig",
    ],
)
async def test_a_forged_or_garbled_token_is_a_404_page_never_a_500(
    mail_api: tuple[AsyncClient, Runtime], path: str
) -> None:
    client, _ = mail_api
    for answer in (await client.get(path), await client.post(path, data=ONE_CLICK)):
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "This link is not valid" in answer.text


async def test_tokens_of_another_purpose_a_missing_body_or_a_gone_recipient_are_refused(
    mail_api: tuple[AsyncClient, Runtime],
) -> None:
    client, runtime = mail_api
    await client.put("/api/v1/recipients/reader", json={"email": "r@example.com"})
    recipient = await runtime.recipients.get("reader")
    assert recipient is not None
    links = runtime.recipient_links
    page_token = links.token(RecipientToken(Purpose.PREFERENCES, recipient.id))
    assert (await client.post(f"/u/{page_token}", data=ONE_CLICK)).status_code == 404

    path = links.path(RecipientToken(Purpose.UNSUBSCRIBE, recipient.id))
    empty = await client.post(path)
    assert empty.status_code == 400 and "Nothing was changed" in empty.text
    wrong = await client.post(path, data={"List-Unsubscribe": "Maybe"})
    assert wrong.status_code == 400
    garbled = await client.post(
        path, content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert garbled.status_code == 400
    assert not (await runtime.preferences.get(recipient.id)).unsubscribed_all

    nobody = links.path(RecipientToken(Purpose.UNSUBSCRIBE, recipient.id + 1000))
    assert (await client.post(nobody, data=ONE_CLICK)).status_code == 404


async def test_without_a_public_url_herald_says_so_and_keeps_the_caller_s_link(
    database_url: str,
    smtp: SMTPTestServer,
    tmp_path: Path,
    json_logs: pytest.CaptureFixture[str],
) -> None:
    async with serve(mail_settings(database_url, smtp, tmp_path)) as (client, runtime):
        lines = log_lines(json_logs)
        warned = [line for line in lines if line["event"] == "unsubscribe_links_unavailable"]
        assert len(warned) == 1 and "HERALD_PUBLIC_URL" in warned[0]["hint"]
        await client.put("/api/v1/recipients/reader", json={"email": "reader@example.com"})
        await _campaign_mail(
            client, runtime, list_unsubscribe="https://app.example.com/u/{external_id}"
        )
    [received] = smtp.messages
    assert received.message["List-Unsubscribe"] == "<https://app.example.com/u/reader>"
    assert "Unsubscribe:" not in next(received.message.iter_parts()).get_content()
