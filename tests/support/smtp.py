"""A real SMTP server on loopback for tests, built on aiosmtpd.

    with SMTPTestServer(security="starttls", username="u", password="p") as smtp:
        ctx = smtp.client_tls_context  # trusts the server's self-signed certificate
        sender = EmailSender(host=smtp.host, port=smtp.port, ..., tls_context=ctx)
        ...
        assert smtp.messages[0].message["Subject"] == "Hi"

It runs in aiosmtpd's own thread and event loop, so the code under test talks to it
over a real socket exactly as it would to a relay. ``rcpt_replies`` and
``data_reply`` script refusals and may be changed between sends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import ipaddress
import ssl
import tempfile
import threading
from collections.abc import Awaitable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Security = Literal["none", "starttls", "tls"]
HOST = "127.0.0.1"


@dataclass(frozen=True)
class SelfSignedCert:
    """A certificate for localhost and 127.0.0.1, and the key that goes with it."""

    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Verifies normally (hostname included), trusting only this certificate."""
        return ssl.create_default_context(cafile=str(self.cert_path))


def make_self_signed_cert(directory: Path) -> SelfSignedCert:
    """Writes a fresh EC P-256 certificate (fast to make) and key into ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return SelfSignedCert(cert_path, key_path)


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    tls: bool  # the session was encrypted (STARTTLS or implicit TLS)
    login: str | None  # who authenticated, if anyone

    @functools.cached_property
    def message(self) -> EmailMessage:
        """Parsed when a test reads it: parsing costs the server more than the rest of a
        message, and the throughput bench only counts."""
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, server: SMTPTestServer) -> None:
        self._server = server

    async def handle_MAIL(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self._server.username is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self._server.rcpt_replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        self._server.data_started.set()
        if not await self._server._pass_gate():
            return "451 4.3.0 the other sessions never reached DATA"
        if self._server.data_delay:
            await asyncio.sleep(self._server.data_delay)
        if self._server.data_reply is not None:
            return self._server.data_reply
        auth = session.auth_data
        received = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            raw=envelope.original_content or b"",
            tls=smtp.transport is not None
            and smtp.transport.get_extra_info("ssl_object") is not None,
            login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
        )
        self._server.messages.append(received)
        return f"250 2.0.0 OK: queued as {len(self._server.messages)}"


class _Controller(Controller):
    """Binds port 0 and reads back the port the OS chose, so there is no race for it."""

    def __init__(self, owner: SMTPTestServer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owner = owner

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        async def bind() -> asyncio.AbstractServer:
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
            )
            self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()

    def factory(self) -> SMTP:
        smtp = SMTP(self.handler, **self.SMTP_kwargs)  # what Controller.factory does
        self._owner._opened(smtp)
        return smtp


class SMTPTestServer:
    """aiosmtpd on 127.0.0.1, with optional TLS, AUTH and scripted refusals.

    ``security``: "none", "starttls" (advertised and required) or "tls" (implicit
    TLS from the first byte). TLS needs ``cert``; without one, a certificate is made
    in a temporary directory that ``stop`` removes. Given a username and password,
    AUTH (PLAIN, LOGIN) is required before MAIL. aiosmtpd only counts STARTTLS as
    encryption, so it would never offer AUTH over implicit TLS; AUTH over TLS is
    therefore enforced for "starttls" only (and allowed in the clear for "none").
    """

    def __init__(
        self,
        *,
        security: Security = "none",
        cert: SelfSignedCert | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.security = security
        self.username = username
        self.password = password
        self.host = HOST
        self.port = 0
        self.messages: list[ReceivedMessage] = []
        # address -> full reply line for RCPT TO, e.g. "550 5.1.1 No such user".
        self.rcpt_replies: dict[str, str] = {}
        # Reply line for the end of DATA instead of accepting, e.g. "554 5.7.1 Spam".
        self.data_reply: str | None = None
        # Seconds to sit on a message before answering DATA (to test cancellation),
        # and an event set whenever a message has been received (before that delay).
        self.data_delay = 0.0
        self.data_started = threading.Event()
        self.auth_attempts: list[tuple[str, bool]] = []  # (login, succeeded)
        # No DATA is answered until this many sessions are in DATA at once (0: off),
        # which proves a client sends on that many connections in parallel; and the
        # most sessions that were ever in DATA at once.
        self.data_gate = 0
        self.most_in_data = 0
        self._in_data = 0
        self._gate_open: asyncio.Event | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if security != "none" and cert is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="herald-smtp-")
            cert = make_self_signed_cert(Path(self._tmp.name))
        self.cert = cert
        self._sessions: list[SMTP] = []
        self._lock = threading.Lock()
        self._controller: _Controller | None = None

    @property
    def client_tls_context(self) -> ssl.SSLContext:
        """For clients: verifies the server's certificate, trusting the test one."""
        if self.cert is None:
            raise RuntimeError("this server has no certificate (security='none')")
        return self.cert.client_context()

    @property
    def connections(self) -> int:
        """Client connections accepted since start (the start-up probe not counted)."""
        with self._lock:
            return len(self._sessions)

    def start(self) -> Self:
        kwargs: dict[str, Any] = {
            "handler": _Handler(self),
            "hostname": HOST,
            "server_hostname": "smtp.test",
            "ready_timeout": 5.0,
        }
        if self.security == "tls":
            assert self.cert is not None
            kwargs["ssl_context"] = self.cert.server_context()
        elif self.security == "starttls":
            assert self.cert is not None
            kwargs["tls_context"] = self.cert.server_context()
            kwargs["require_starttls"] = True
        if self.username is not None:
            # MAIL is refused until AUTH by handle_MAIL, not aiosmtpd's auth_required,
            # which warns unless AUTH also requires STARTTLS.
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_require_tls"] = self.security == "starttls"
        controller = _Controller(self, **kwargs)
        controller.start()
        self.port = controller.port
        with self._lock:
            self._sessions.clear()  # the controller's own start-up probe
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def disconnect_all(self) -> None:
        """Drops every open client connection from the server's side, and waits."""
        assert self._controller is not None
        loop = self._controller.loop
        done = threading.Event()

        def close() -> None:
            with self._lock:
                sessions = list(self._sessions)
            for smtp in sessions:
                if smtp.transport is not None:
                    smtp.transport.close()
            done.set()

        loop.call_soon_threadsafe(close)
        if not done.wait(5.0):
            raise TimeoutError("the SMTP server's loop did not run the disconnect")

    async def _pass_gate(self) -> bool:
        """Runs on the server's loop; False if the gate did not open within 5 s."""
        self._in_data += 1
        self.most_in_data = max(self.most_in_data, self._in_data)
        try:
            if not self.data_gate:
                return True
            if self._gate_open is None:
                self._gate_open = asyncio.Event()
            if self._in_data >= self.data_gate:
                self._gate_open.set()
            try:
                await asyncio.wait_for(self._gate_open.wait(), 5.0)
            except TimeoutError:
                return False
            return True
        finally:
            self._in_data -= 1

    def _opened(self, smtp: SMTP) -> None:
        with self._lock:
            self._sessions.append(smtp)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = data.login.decode()
        ok = login == self.username and data.password.decode() == self.password
        with self._lock:
            self.auth_attempts.append((login, ok))
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)
