"""EmailSender against a real SMTP server on loopback: the message it builds, TLS and
AUTH, the error map end to end, header injection, and connection reuse."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from herald.channels.email import EmailSender, Security
from herald.queue import Delivery, Lane, Permanent, Sent, Transient
from tests.support import deliveries
from tests.support.ports import free_port
from tests.support.smtp import SelfSignedCert, SMTPTestServer, make_self_signed_cert

FROM = "Herald <noreply@herald.example>"
USER, PASSWORD = "herald", "correct-horse-battery-staple"


def make_delivery(
    recipient: str = "ann@example.com", lane: Lane = Lane.TRANSACTIONAL, **payload: Any
) -> Delivery:
    return deliveries.make_delivery(
        "email",
        recipient,
        {"subject": "Your code", "text": "Code: 1234", "html": "<b>1234</b>", **payload},
        lane=lane,
        delivery_id=7,
    )


def sender_for(server: SMTPTestServer, **overrides: Any) -> EmailSender:
    security: Security = server.security
    options: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "from_address": FROM,
        "security": security,
        "timeout": 5.0,
        "local_hostname": "client.test",
        "tls_context": server.client_tls_context if security != "none" else None,
    }
    if server.username is not None:
        options |= {"username": server.username, "password": server.password}
    return EmailSender(**(options | overrides))


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> SelfSignedCert:
    return make_self_signed_cert(tmp_path_factory.mktemp("smtp-cert"))


@pytest.fixture
async def sender(smtp: SMTPTestServer) -> AsyncIterator[EmailSender]:
    email_sender = sender_for(smtp)
    try:
        yield email_sender
    finally:
        await email_sender.close()


# The message


async def test_plain_delivery_is_multipart_alternative_with_id_and_date(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    outcome = await sender.send(make_delivery())

    assert isinstance(outcome, Sent)
    [received] = smtp.messages
    msg = received.message
    assert received.mail_from == "noreply@herald.example"
    assert received.rcpt_tos == ["ann@example.com"]
    assert received.tls is False
    assert msg["From"] == FROM
    assert msg["To"] == "ann@example.com"
    assert msg["Subject"] == "Your code"
    assert msg["Message-ID"] == outcome.provider_message_id
    assert str(msg["Message-ID"]).endswith("@herald.example>")
    sent_at = parsedate_to_datetime(str(msg["Date"]))
    assert abs(sent_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().strip() == "Code: 1234"
    assert parts[1].get_content().strip() == "<b>1234</b>"
    assert [p["MIME-Version"] for p in parts] == [None, None]
    assert msg["List-Unsubscribe"] is None


async def test_every_message_gets_its_own_message_id(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    first = await sender.send(make_delivery())
    second = await sender.send(make_delivery())

    assert isinstance(first, Sent)
    assert isinstance(second, Sent)
    assert first.provider_message_id != second.provider_message_id
    assert [m.message["Message-ID"] for m in smtp.messages] == [
        first.provider_message_id,
        second.provider_message_id,
    ]


async def test_non_ascii_subject_body_and_address_arrive_intact(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    outcome = await sender.send(
        make_delivery("jörg@example.com", subject="Цена ✓ достигнута", text="Привет, Jörg")
    )

    assert isinstance(outcome, Sent)
    [received] = smtp.messages
    assert received.rcpt_tos == ["jörg@example.com"]
    assert received.message["Subject"] == "Цена ✓ достигнута"
    assert next(received.message.iter_parts()).get_content().strip() == "Привет, Jörg"


async def test_headers_are_ascii_when_the_addresses_are(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    outcome = await sender.send(make_delivery(subject="Цена ✓", headers={"X-Note": "é"}))

    assert isinstance(outcome, Sent)
    [received] = smtp.messages
    head = received.raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # encoded words: no SMTPUTF8 needed
    assert received.message["Subject"] == "Цена ✓"
    assert received.message["X-Note"] == "é"


async def test_long_body_lines_and_a_long_unsubscribe_uri_arrive_intact(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    text = "a" * 1500 + "\n.starts with a dot\nJörg, ✓"
    uri = "https://herald.example/unsubscribe/" + "t" * 120
    delivery = make_delivery(lane=Lane.CAMPAIGN, text=text, list_unsubscribe=uri)

    assert isinstance(await sender.send(delivery), Sent)

    [received] = smtp.messages
    assert max(len(line) for line in received.raw.split(b"\r\n")) <= 998
    plain = next(received.message.iter_parts()).get_content()
    assert plain.splitlines() == text.splitlines()
    # One line, not encoded words: mail clients read it as the link it is.
    assert received.message["List-Unsubscribe"] == f"<{uri}>"
    assert f"List-Unsubscribe: <{uri}>".encode() in received.raw


async def test_payload_headers_are_added(smtp: SMTPTestServer, sender: EmailSender) -> None:
    headers = {"Reply-To": "support@herald.example", "X-Herald-Campaign": "spring"}
    assert isinstance(await sender.send(make_delivery(headers=headers)), Sent)

    msg = smtp.messages[0].message
    assert msg["Reply-To"] == "support@herald.example"
    assert msg["X-Herald-Campaign"] == "spring"


@pytest.mark.parametrize(
    ("lane", "unsubscribe", "expected", "one_click"),
    [
        (Lane.CAMPAIGN, "https://herald.example/u/abc", "<https://herald.example/u/abc>", True),
        (Lane.CAMPAIGN, "mailto:unsub@herald.example", "<mailto:unsub@herald.example>", False),
        (Lane.TRANSACTIONAL, "https://herald.example/u/abc", None, False),
        (
            Lane.CAMPAIGN,
            ["https://herald.example/u/abc", "mailto:unsub@herald.example"],
            "<https://herald.example/u/abc>, <mailto:unsub@herald.example>",
            True,
        ),
    ],
)
async def test_campaign_mail_carries_list_unsubscribe_and_transactional_does_not(
    smtp: SMTPTestServer,
    sender: EmailSender,
    lane: Lane,
    unsubscribe: str | list[str],
    expected: str | None,
    one_click: bool,
) -> None:
    outcome = await sender.send(make_delivery(lane=lane, list_unsubscribe=unsubscribe))

    assert isinstance(outcome, Sent)
    msg = smtp.messages[0].message
    assert msg["List-Unsubscribe"] == expected
    # RFC 8058: one-click only for an HTTPS URI.
    post = "List-Unsubscribe=One-Click" if one_click else None
    assert msg["List-Unsubscribe-Post"] == post


# Header injection and payloads that can never be sent


async def test_a_line_break_in_the_subject_cannot_start_a_header(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    subject = "Hello\r\nBcc: victim@evil.example\r\nX-Injected: yes\n"
    outcome = await sender.send(make_delivery(subject=subject))

    assert isinstance(outcome, Sent)
    [received] = smtp.messages
    msg = received.message
    assert received.rcpt_tos == ["ann@example.com"]
    assert msg.get_all("Subject") == ["Hello Bcc: victim@evil.example X-Injected: yes"]
    assert msg["Bcc"] is None
    assert msg["X-Injected"] is None
    assert b"\r\nBcc:" not in received.raw
    assert b"\r\nX-Injected:" not in received.raw


async def test_a_line_break_in_a_payload_header_cannot_start_a_header(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    headers = {"X-Ref": "42\r\nBcc: victim@evil.example", "X-Other": "a\u2028Cc: x@evil.example"}
    assert isinstance(await sender.send(make_delivery(headers=headers)), Sent)

    received = smtp.messages[0]
    assert received.message.get_all("X-Ref") == ["42 Bcc: victim@evil.example"]
    assert received.message.get_all("X-Other") == ["a Cc: x@evil.example"]
    assert received.message["Bcc"] is None
    assert received.message["Cc"] is None
    assert received.rcpt_tos == ["ann@example.com"]


@pytest.mark.parametrize(
    ("delivery", "reason", "mentions"),
    [
        (make_delivery("ann@example.com\r\nBcc: victim@evil.example"), "invalid_recipient", ""),
        (make_delivery("Ann <ann@example.com>"), "invalid_recipient", ""),
        (make_delivery("ann@example.com, bob@example.com"), "invalid_recipient", ""),
        (make_delivery("not-an-address"), "invalid_recipient", ""),
        (make_delivery(html=None), "invalid_payload", "html"),
        (make_delivery(subject=3), "invalid_payload", "subject"),
        (make_delivery(headers={"Bcc": "victim@evil.example"}), "invalid_payload", "Bcc"),
        (make_delivery(headers={"x-mailer": 1}), "invalid_payload", "x-mailer"),
        (make_delivery(headers={"Bad Name": "v"}), "invalid_payload", "Bad Name"),
        (make_delivery(headers={"X-A\r\nBcc": "v"}), "invalid_payload", "header name"),
        (
            make_delivery(lane=Lane.CAMPAIGN, list_unsubscribe="https://a.example/u\r\nBcc: x"),
            "invalid_payload",
            "list_unsubscribe",
        ),
        (
            make_delivery(
                lane=Lane.CAMPAIGN, list_unsubscribe=["https://a.example/u", "mailto:x\r\nBcc: y"]
            ),
            "invalid_payload",
            "list_unsubscribe",
        ),
        (make_delivery(lane=Lane.CAMPAIGN, list_unsubscribe=[]), "invalid_payload", "URIs"),
        (
            make_delivery(lane=Lane.CAMPAIGN, list_unsubscribe="javascript:alert(1)"),
            "invalid_payload",
            "list_unsubscribe",
        ),
    ],
)
async def test_what_can_never_be_sent_is_permanent_before_connecting(
    smtp: SMTPTestServer, sender: EmailSender, delivery: Delivery, reason: str, mentions: str
) -> None:
    outcome = await sender.send(delivery)

    assert isinstance(outcome, Permanent)
    assert outcome.reason == reason
    assert mentions in outcome.error
    assert smtp.connections == 0
    assert smtp.messages == []


# TLS and AUTH


async def test_starttls_with_auth(cert: SelfSignedCert) -> None:
    with SMTPTestServer(security="starttls", cert=cert, username=USER, password=PASSWORD) as smtp:
        sender = sender_for(smtp)
        outcome = await sender.send(make_delivery())
        await sender.close()

    assert isinstance(outcome, Sent)
    [received] = smtp.messages
    assert received.tls is True
    assert received.login == USER
    assert (USER, True) in smtp.auth_attempts


async def test_implicit_tls_with_auth(cert: SelfSignedCert) -> None:
    with SMTPTestServer(security="tls", cert=cert, username=USER, password=PASSWORD) as smtp:
        sender = sender_for(smtp)
        outcome = await sender.send(make_delivery())
        await sender.close()

    assert isinstance(outcome, Sent)
    [received] = smtp.messages
    assert received.tls is True
    assert received.login == USER


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_an_untrusted_certificate_is_refused_by_default(
    cert: SelfSignedCert, security: Security
) -> None:
    with SMTPTestServer(security=security, cert=cert) as smtp:
        sender = sender_for(smtp, tls_context=None)  # the system's trust store
        outcome = await sender.send(make_delivery())
        await sender.close()

    assert isinstance(outcome, Transient)
    assert outcome.reason == "connection"
    assert "certificate" in outcome.error.lower()
    assert smtp.messages == []


async def test_starttls_never_falls_back_to_plaintext(smtp: SMTPTestServer) -> None:
    sender = sender_for(smtp, security="starttls")  # the server offers no STARTTLS
    outcome = await sender.send(make_delivery())
    await sender.close()

    assert isinstance(outcome, Transient)
    assert "STARTTLS" in outcome.error
    assert smtp.messages == []


async def test_a_wrong_password_is_auth_failed_and_never_leaks(
    cert: SelfSignedCert, json_logs: pytest.CaptureFixture[str]
) -> None:
    wrong = "wrong-password-do-not-log"
    with SMTPTestServer(security="starttls", cert=cert, username=USER, password=PASSWORD) as smtp:
        sender = sender_for(smtp, password=wrong)
        outcome = await sender.send(make_delivery())
        await sender.close()

    assert isinstance(outcome, Permanent)
    assert outcome.reason == "auth_failed"
    assert "535" in outcome.error
    assert wrong not in outcome.error
    assert wrong not in repr(sender)
    assert smtp.messages == []
    out = json_logs.readouterr()
    assert wrong not in out.err + out.out
    events = [json.loads(line) for line in out.err.splitlines() if line.startswith("{")]
    failures = [e for e in events if e["event"] == "email_auth_failed"]
    assert len(failures) == 1
    assert failures[0]["level"] == "error"
    assert (failures[0]["host"], failures[0]["username"]) == (smtp.host, USER)


async def test_no_credentials_where_auth_is_required_is_auth_failed(
    cert: SelfSignedCert,
) -> None:
    with SMTPTestServer(security="starttls", cert=cert, username=USER, password=PASSWORD) as smtp:
        sender = sender_for(smtp, username=None, password=None)
        outcome = await sender.send(make_delivery())
        await sender.close()

    assert isinstance(outcome, Permanent)
    assert outcome.reason == "auth_failed"
    assert "530" in outcome.error


async def test_the_password_is_scrubbed_even_if_the_server_echoes_it(
    cert: SelfSignedCert,
) -> None:
    with SMTPTestServer(security="starttls", cert=cert, username=USER, password=PASSWORD) as smtp:
        smtp.rcpt_replies["ann@example.com"] = f"550 5.1.1 no user (you said {PASSWORD})"
        sender = sender_for(smtp)
        outcome = await sender.send(make_delivery())
        await sender.close()

    assert isinstance(outcome, Permanent)
    assert outcome.reason == "recipient_refused"
    assert PASSWORD not in outcome.error
    assert "(you said ***)" in outcome.error


# Refusals and failures, end to end


async def test_550_on_rcpt_is_permanent_recipient_refused_and_the_connection_survives(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    smtp.rcpt_replies["ghost@example.com"] = "550 5.1.1 No such user"

    outcome = await sender.send(make_delivery("ghost@example.com"))
    after = await sender.send(make_delivery("ann@example.com"))

    assert outcome == Permanent("RCPT refused: 550 5.1.1 No such user", reason="recipient_refused")
    assert isinstance(after, Sent)
    assert [m.rcpt_tos for m in smtp.messages] == [["ann@example.com"]]
    assert smtp.connections == 1


async def test_450_on_rcpt_is_transient(smtp: SMTPTestServer, sender: EmailSender) -> None:
    smtp.rcpt_replies["ann@example.com"] = "450 4.2.1 Mailbox busy"

    outcome = await sender.send(make_delivery())

    assert outcome == Transient("RCPT refused: 450 4.2.1 Mailbox busy", reason="smtp_4xx")
    assert smtp.messages == []


async def test_a_refused_data_is_permanent_rejected(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    smtp.data_reply = "554 5.7.1 Message rejected as spam"

    outcome = await sender.send(make_delivery())

    assert outcome == Permanent("DATA refused: 554 5.7.1 Message rejected as spam", "rejected")


async def test_a_server_that_is_down_is_transient_connection() -> None:
    port = free_port()
    sender = EmailSender(host="127.0.0.1", port=port, from_address=FROM, security="none")
    outcome = await sender.send(make_delivery())
    await sender.close()

    assert isinstance(outcome, Transient)
    assert outcome.reason == "connection"
    assert f"127.0.0.1 on port {port}" in outcome.error


async def test_a_server_that_never_greets_is_transient_timeout() -> None:
    held: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept, then say nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sender = EmailSender(
        host="127.0.0.1", port=port, from_address=FROM, security="none", timeout=0.2
    )
    try:
        outcome = await sender.send(make_delivery())
    finally:
        await sender.close()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()

    assert isinstance(outcome, Transient)
    assert outcome.reason == "timeout"


# Connections


async def test_one_connection_serves_consecutive_sends(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    for _ in range(3):
        assert isinstance(await sender.send(make_delivery()), Sent)

    assert len(smtp.messages) == 3
    assert smtp.connections == 1


async def test_a_connection_the_server_dropped_is_replaced_transparently(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    assert isinstance(await sender.send(make_delivery()), Sent)
    smtp.disconnect_all()

    outcome = await sender.send(make_delivery())

    assert isinstance(outcome, Sent)
    assert len(smtp.messages) == 2
    assert smtp.connections == 2


async def test_connections_are_renewed_after_max_messages(smtp: SMTPTestServer) -> None:
    sender = sender_for(smtp, max_messages_per_connection=2)
    for _ in range(3):
        assert isinstance(await sender.send(make_delivery()), Sent)
    await sender.close()

    assert len(smtp.messages) == 3
    assert smtp.connections == 2


async def test_idle_connections_are_not_reused(smtp: SMTPTestServer) -> None:
    sender = sender_for(smtp, max_idle_seconds=0.0)
    for _ in range(2):
        assert isinstance(await sender.send(make_delivery()), Sent)
        await asyncio.sleep(0.01)
    await sender.close()

    assert smtp.connections == 2


async def test_concurrent_sends_share_a_bounded_pool(smtp: SMTPTestServer) -> None:
    sender = sender_for(smtp, max_connections=2)
    outcomes = await asyncio.gather(
        *(sender.send(make_delivery(f"user{i}@example.com")) for i in range(8))
    )
    await sender.close()

    assert all(isinstance(o, Sent) for o in outcomes)
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(
        f"user{i}@example.com" for i in range(8)
    )
    assert 1 <= smtp.connections <= 2


async def test_the_pool_sends_on_all_its_connections_at_once(smtp: SMTPTestServer) -> None:
    smtp.data_gate = 4  # the server answers no DATA until 4 sessions are in DATA together
    sender = sender_for(smtp, max_connections=4)
    outcomes = await asyncio.gather(
        *(sender.send(make_delivery(f"user{i}@example.com")) for i in range(40))
    )
    await sender.close()

    assert all(isinstance(o, Sent) for o in outcomes)
    assert smtp.most_in_data == 4
    # 40 messages over the pool's 4 connections, each reused for 10.
    assert smtp.connections == 4
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(
        f"user{i}@example.com" for i in range(40)
    )


async def test_connections_the_server_dropped_under_load_are_replaced_and_nothing_is_lost(
    smtp: SMTPTestServer,
) -> None:
    sender = sender_for(smtp, max_connections=4)
    first = await asyncio.gather(
        *(sender.send(make_delivery(f"a{i}@example.com")) for i in range(8))
    )
    smtp.disconnect_all()
    second = await asyncio.gather(
        *(sender.send(make_delivery(f"b{i}@example.com")) for i in range(8))
    )
    await sender.close()

    assert all(isinstance(o, Sent) for o in first + second)
    # Every message exactly once, and each of the 4 connections replaced once.
    assert sorted(r for m in smtp.messages for r in m.rcpt_tos) == sorted(
        [f"a{i}@example.com" for i in range(8)] + [f"b{i}@example.com" for i in range(8)]
    )
    assert smtp.connections == 8


async def test_a_send_cancelled_mid_conversation_does_not_poison_the_connection(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    smtp.data_delay = 5.0
    task = asyncio.create_task(sender.send(make_delivery("first@example.com")))
    assert await asyncio.to_thread(smtp.data_started.wait, 5.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    smtp.data_delay = 0.0
    outcome = await sender.send(make_delivery("second@example.com"))

    assert isinstance(outcome, Sent)
    assert smtp.messages[-1].rcpt_tos == ["second@example.com"]
    assert smtp.messages[-1].message["Message-ID"] == outcome.provider_message_id
    assert smtp.connections == 2


async def test_close_ends_the_session_and_the_sender_can_send_again(
    smtp: SMTPTestServer, sender: EmailSender
) -> None:
    assert isinstance(await sender.send(make_delivery()), Sent)
    await sender.close()
    assert isinstance(await sender.send(make_delivery()), Sent)

    assert smtp.connections == 2


# Construction


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"security": "ssl"}, "security"),
        ({"from_address": "not-an-address"}, "from_address"),
        ({"from_address": "a@example.com, b@example.com"}, "from_address"),
        ({"password": "secret"}, "username"),
        ({"max_connections": 0}, "max_connections"),
    ],
)
def test_bad_configuration_fails_at_construction(overrides: dict[str, Any], message: str) -> None:
    options: dict[str, Any] = {"host": "127.0.0.1", "port": 25, "from_address": FROM}
    with pytest.raises(ValueError, match=message):
        EmailSender(**(options | overrides))
