"""A real Web Push service on loopback, strict the way FCM and Mozilla's autopush are.

It checks what a browser vendor's service checks (the VAPID JWT's signature and
claims, aes128gcm, TTL, size), decrypts each accepted message with the browser-side
keys made by ``subscribe()`` and records it, so tests see exactly what a service
worker would. Its verification is written independently of herald's signing code.

    async with PushService() as service:
        sub = service.subscribe(application_server_key=public_key)
        ... send to sub.info() ...
        service.received[0].notification["title"]
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MAX_BODY = 4096
MAX_EXP_AHEAD = 24 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserSubscription:
    """What the browser keeps: its ECDH key pair and auth secret, and the JSON it gives
    the application server."""

    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    application_server_key: str | None

    @property
    def p256dh(self) -> str:
        return _b64(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return _b64(self.auth_secret)

    def info(self) -> dict[str, Any]:
        """PushSubscription.toJSON(), as stored with the recipient."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass
class ReceivedPush:
    subscription_id: str
    headers: dict[str, str]  # lower-cased names
    claims: dict[str, Any]
    notification: dict[str, Any]


@dataclass
class PushRequest:
    """Every request, accepted or not, with why it was refused."""

    subscription_id: str
    status: int
    problem: str = ""


@dataclass
class _Answer:
    status: int
    times: int | None  # None: always
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


class _Refused(Exception):
    def __init__(self, status: int, problem: str) -> None:
        super().__init__(problem)
        self.status = status
        self.problem = problem


class PushService:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.received: list[ReceivedPush] = []
        self.requests: list[PushRequest] = []
        self._subscriptions: dict[str, BrowserSubscription] = {}
        self._gone: set[str] = set()
        self._answers: dict[str, _Answer] = {}
        self._stalls: dict[str, float] = {}
        self._transports: dict[tuple[str, int], asyncio.BaseTransport] = {}  # by client address
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- lifecycle ---

    async def start(self) -> PushService:
        app = web.Application()
        app.router.add_post("/push/{subscription_id}", self._handle)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> PushService:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- browser side and controls ---

    def subscribe(self, application_server_key: str | None = None) -> BrowserSubscription:
        """A new browser subscription; with ``application_server_key``, pushes signed by
        any other key are refused with 403, as browsers' services do."""
        sub_id = secrets.token_urlsafe(12)
        sub = BrowserSubscription(
            id=sub_id,
            endpoint=f"{self.origin}/push/{sub_id}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=secrets.token_bytes(16),
            application_server_key=application_server_key,
        )
        self._subscriptions[sub_id] = sub
        return sub

    def unsubscribe(self, subscription_id: str) -> None:
        """The browser unsubscribed: later pushes get 410 Gone."""
        self._subscriptions.pop(subscription_id, None)
        self._gone.add(subscription_id)

    def answer(
        self,
        subscription_id: str,
        status: int,
        *,
        times: int | None = 1,
        retry_after: str | None = None,
        body: str = "",
    ) -> None:
        """Answer ``status`` to the next ``times`` valid pushes (None: every one)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        self._answers[subscription_id] = _Answer(status, times, headers, body)

    def stall(self, subscription_id: str, seconds: float) -> None:
        """Wait this long before answering each push to the subscription."""
        self._stalls[subscription_id] = seconds

    @property
    def connections(self) -> int:
        """Client connections that have carried a request since start."""
        return len(self._transports)

    def disconnect_all(self) -> None:
        """Drops every client connection from the service's side (a restart, a proxy
        timing out idle connections)."""
        for transport in self._transports.values():
            transport.close()

    def received_for(self, subscription_id: str) -> list[ReceivedPush]:
        return [r for r in self.received if r.subscription_id == subscription_id]

    # --- the protocol ---

    async def _handle(self, request: web.Request) -> web.Response:
        sub_id = request.match_info["subscription_id"]
        if request.transport is not None:
            self._transports[request.transport.get_extra_info("peername")] = request.transport
        stall = self._stalls.get(sub_id)
        if stall:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), stall)
        body = await request.read()
        try:
            claims, notification = self._accept(sub_id, request, body)
        except _Refused as refused:
            self.requests.append(PushRequest(sub_id, refused.status, refused.problem))
            return web.Response(status=refused.status, text=refused.problem)
        answer = self._answers.get(sub_id)
        if answer is not None:
            if answer.times is not None:
                answer.times -= 1
                if answer.times <= 0:
                    del self._answers[sub_id]
            self.requests.append(PushRequest(sub_id, answer.status, "forced"))
            return web.Response(status=answer.status, headers=answer.headers, text=answer.body)
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.received.append(ReceivedPush(sub_id, headers, claims, notification))
        self.requests.append(PushRequest(sub_id, 201))
        location = f"{self.origin}/message/{secrets.token_urlsafe(8)}"
        return web.Response(status=201, headers={"Location": location})

    def _accept(
        self, sub_id: str, request: web.Request, body: bytes
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The checks a real push service makes, in its order; raises _Refused."""
        claims, key = self._verify_vapid(request.headers.get("Authorization", ""))
        if sub_id in self._gone:
            raise _Refused(410, "subscription is gone")
        sub = self._subscriptions.get(sub_id)
        if sub is None:
            raise _Refused(404, "no such subscription")
        if sub.application_server_key is not None and key != sub.application_server_key:
            raise _Refused(403, "VAPID key is not the subscription's applicationServerKey")
        if request.headers.get("Content-Encoding") != "aes128gcm":
            raise _Refused(400, "Content-Encoding must be aes128gcm")
        ttl = request.headers.get("TTL", "")
        if not ttl.isdigit():
            raise _Refused(400, "TTL header missing or not a number")
        urgency = request.headers.get("Urgency", "normal")
        if urgency not in ("very-low", "low", "normal", "high"):
            raise _Refused(400, f"bad Urgency {urgency!r}")
        if len(body) > MAX_BODY:
            raise _Refused(413, f"payload of {len(body)} bytes is over {MAX_BODY}")
        try:
            plaintext = http_ece.decrypt(
                body,
                private_key=sub.private_key,
                auth_secret=sub.auth_secret,
                version="aes128gcm",
            )
            notification = json.loads(plaintext)
        except Exception as exc:
            raise _Refused(400, f"cannot decrypt: {exc}") from None
        return claims, notification

    def _verify_vapid(self, authorization: str) -> tuple[dict[str, Any], str]:
        """RFC 8292: ``vapid t=<jwt>, k=<key>``; 401 for a bad token, 403 for bad claims."""
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise _Refused(401, "Authorization must use the vapid scheme")
        values: dict[str, str] = {}
        for part in params.split(","):
            name, sep, value = part.strip().partition("=")
            if sep:
                values[name.strip()] = value.strip()
        token, key = values.get("t", ""), values.get("k", "")
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(key))
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_unb64(header_b64))
            claims = json.loads(_unb64(claims_b64))
            signature = _unb64(signature_b64)
        except ValueError as exc:
            raise _Refused(401, f"malformed VAPID credentials: {exc}") from None
        if not isinstance(header, dict) or header.get("alg") != "ES256" or len(signature) != 64:
            raise _Refused(401, "JWT must be ES256 with a 64-byte signature")
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        try:
            public.verify(
                encode_dss_signature(r, s),
                f"{header_b64}.{claims_b64}".encode(),
                ec.ECDSA(hashes.SHA256()),
            )
        except InvalidSignature:
            raise _Refused(401, "JWT signature does not verify with k") from None
        if not isinstance(claims, dict):
            raise _Refused(403, "JWT claims are not an object")
        if claims.get("aud") != self.origin:
            raise _Refused(403, f"JWT aud {claims.get('aud')!r} is not {self.origin}")
        exp, now = claims.get("exp"), time.time()
        if not isinstance(exp, int) or not now < exp <= now + MAX_EXP_AHEAD:
            raise _Refused(403, f"JWT exp {exp!r} is not within the next 24 hours")
        sub_claim = claims.get("sub")
        if not isinstance(sub_claim, str) or not sub_claim.startswith(("mailto:", "https:")):
            raise _Refused(403, "JWT sub must be a mailto: or https: contact")
        return claims, key
