"""The email channel: one delivery -> one multipart/alternative message over SMTP.

``message.py`` writes the message; this module sends it. Connections are pooled:
a TLS handshake and AUTH cost several round trips, which would otherwise dominate a
campaign. Each pooled connection serves one send at a time; it is
dropped after any failure that may have left the SMTP conversation out of step, after
``max_messages_per_connection`` sends (servers cap this) and when it has been idle
longer than ``max_idle_seconds`` (servers time idle sessions out). A send that finds
its reused connection closed by the server is retried once on a fresh one; that can
duplicate a message only when the server dropped the line after accepting DATA and
before answering, and the queue's own retry (delivery is at-least-once) would do the
same.

The pool's ``max_connections`` sessions send in parallel, one message each at a time
(SMTP without pipelining is one round trip per command, so parallel sessions are what
raises throughput); a send waits for a free one, taking the most recently used first so
that idle ones age out rather than all staying barely alive.

Every failure becomes an ``Outcome`` via ``errors.outcome_for``; a payload or
recipient that can never be sent is ``Permanent`` before any connection is made.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from typing import Literal

import structlog
from aiosmtplib import SMTP, SMTPRecipientsRefused, SMTPResponseException, SMTPServerDisconnected

from herald.channel import Channel
from herald.channels.email.errors import outcome_for
from herald.channels.email.message import InvalidDelivery, MessageWriter, Rendered
from herald.queue import Delivery, Outcome, Permanent, Sent, Transient

Security = Literal["starttls", "tls", "none"]
SECURITY_MODES: tuple[Security, ...] = ("starttls", "tls", "none")
_SERVICE_CLOSING = 421

__all__ = ["SECURITY_MODES", "EmailSender", "InvalidDelivery", "Security"]

log = structlog.get_logger(__name__)


@dataclass(slots=True, eq=False)
class _Slot:
    """One pooled connection; the pool hands it to one send at a time."""

    client: SMTP | None = None
    sends: int = 0
    last_used: float = 0.0


class EmailSender:
    """Sends email over SMTP (STARTTLS, implicit TLS or plain) with optional AUTH."""

    channel = Channel.EMAIL
    sandbox = False

    def __init__(
        self,
        *,
        host: str,
        port: int,
        from_address: str,
        username: str | None = None,
        password: str | None = None,
        security: Security = "starttls",
        timeout: float = 15.0,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        max_connections: int = 4,
        max_messages_per_connection: int = 100,
        max_idle_seconds: float = 30.0,
    ) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(f"security must be one of {SECURITY_MODES}, not {security!r}")
        if password is not None and username is None:
            raise ValueError("a password without a username cannot be used")
        if max_connections < 1 or max_messages_per_connection < 1:
            raise ValueError("max_connections and max_messages_per_connection must be >= 1")
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.security: Security = security
        self.timeout = timeout
        self.tls_context = tls_context
        self.local_hostname = local_hostname
        self.max_messages_per_connection = max_messages_per_connection
        self.max_idle_seconds = max_idle_seconds
        self.from_address = from_address
        self._writer = MessageWriter(from_address)
        self._slots = [_Slot() for _ in range(max_connections)]
        self._idle = list(self._slots)
        self._free = asyncio.Semaphore(max_connections)

    def __repr__(self) -> str:
        # No password, ever.
        return (
            f"EmailSender(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"username={self.username!r}, from_address={self.from_address!r})"
        )

    async def send(self, delivery: Delivery) -> Outcome:
        try:
            message = self._writer.render(delivery)
        except InvalidDelivery as exc:
            return Permanent(str(exc), reason=exc.reason)
        try:
            await self._transmit(message, delivery.recipient)
        except Exception as exc:
            return self._failed(exc, delivery)
        return Sent(provider_message_id=message.message_id)

    async def check(self) -> str | None:
        """Connect, upgrade and log in once (for ``herald doctor``): None when it all
        works, else why not, in words free of the password."""
        slot = _Slot()
        try:
            await self._ready(slot)
        except Exception as exc:
            outcome = _scrub(outcome_for(exc), self._password)
            return getattr(outcome, "error", str(outcome))
        await self._retire(slot)
        return None

    async def close(self) -> None:
        """QUITs idle connections politely; cuts any that are still busy."""
        for slot in self._slots:
            if any(slot is idle for idle in self._idle):
                await self._retire(slot)
            else:
                self._drop(slot)

    async def _transmit(self, message: Rendered, recipient: str) -> None:
        async with self._free:
            slot = self._idle.pop()
            try:
                reused = await self._ready(slot)
                try:
                    await self._send_on(slot, message, recipient)
                except (SMTPServerDisconnected, SMTPResponseException) as exc:
                    closing = isinstance(exc, SMTPServerDisconnected) or (
                        exc.code == _SERVICE_CLOSING
                    )
                    if not (reused and closing):
                        raise
                    # The server ended a session we had kept; one fresh try.
                    self._drop(slot)
                    await self._ready(slot)
                    await self._send_on(slot, message, recipient)
            finally:
                self._idle.append(slot)

    async def _ready(self, slot: _Slot) -> bool:
        """Makes sure the slot holds a usable connection; True if it was reused."""
        client = slot.client
        if client is not None and client.is_connected:
            idle = time.monotonic() - slot.last_used
            if slot.sends < self.max_messages_per_connection and idle <= self.max_idle_seconds:
                return True
            await self._retire(slot)
        slot.client = None
        client = SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self._password,
            local_hostname=self.local_hostname,
            timeout=self.timeout,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            tls_context=self.tls_context,
        )
        await client.connect()  # connects, upgrades, EHLOs and logs in; closes on failure
        slot.client, slot.sends = client, 0
        return False

    async def _send_on(self, slot: _Slot, message: Rendered, recipient: str) -> None:
        client = slot.client
        assert client is not None
        options = []
        if message.smtputf8:
            # As send_message would: aiosmtplib refuses if the server lacks SMTPUTF8.
            options.append("SMTPUTF8")
            if client.supports_extension("8bitmime"):
                options.append("BODY=8BITMIME")
        try:
            await client.sendmail(
                self._writer.envelope_from, [recipient], message.data, mail_options=options
            )
        except (SMTPResponseException, SMTPRecipientsRefused):
            # aiosmtplib has RSET the envelope; keep the session if the server did.
            if not client.is_connected:
                self._drop(slot)
            raise
        except BaseException:
            # Timeout, disconnect, cancellation: the conversation may be out of step.
            self._drop(slot)
            raise
        finally:
            slot.last_used = time.monotonic()
        slot.sends += 1

    async def _retire(self, slot: _Slot) -> None:
        client, slot.client = slot.client, None
        if client is None:
            return
        try:
            await client.quit(timeout=min(self.timeout, 2.0))
        except Exception:
            pass  # the server may already be gone; closing is all that matters
        finally:
            client.close()

    def _drop(self, slot: _Slot) -> None:
        client, slot.client = slot.client, None
        if client is not None:
            client.close()

    def _failed(self, exc: Exception, delivery: Delivery) -> Outcome:
        outcome = _scrub(outcome_for(exc), self._password)
        if isinstance(outcome, Permanent) and outcome.reason == "auth_failed":
            log.error(
                "email_auth_failed",
                host=self.host,
                port=self.port,
                username=self.username,
                error=outcome.error,
                delivery_id=delivery.id,
                hint="the SMTP server refused herald's credentials; fix them, then replay",
            )
        return outcome


def _scrub(outcome: Outcome, password: str | None) -> Outcome:
    """Defence in depth: no error text leaves here with the password in it."""
    if not password or not isinstance(outcome, Transient | Permanent):
        return outcome
    if password not in outcome.error:
        return outcome
    error = outcome.error.replace(password, "***")
    if isinstance(outcome, Transient):
        return Transient(error, reason=outcome.reason)
    return Permanent(error, reason=outcome.reason)
