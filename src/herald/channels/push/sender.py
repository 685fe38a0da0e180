"""Web Push: the sender (its answers are mapped to outcomes in ``errors.py``).

A delivery's payload carries the browser's PushSubscription plus the notification:
``{"subscription": {"endpoint", "keys": {"p256dh", "auth"}}, "title", "body", "icon"?,
"badge"?, "url"?, "data"?}``. Everything but ``subscription`` is the JSON the service
worker receives. The body is encrypted with aes128gcm (RFC 8291) and the request
signed with a VAPID JWT (RFC 8292), cached per push service until near its expiry.

Requests go out on one shared aiohttp session: a pool of kept-alive connections, so a
campaign pays no TCP or TLS handshake per message. aiohttp rather than httpx because
httpcore's pool rescans every connection (a poll() each) for every queued request,
which cost more CPU than the whole send at a few hundred sends/s; it is also the
stack the Telegram client uses. Encryption stays on the event loop: it costs about
0.12 ms per message (one ECDH key pair and exchange, HKDF, AES-GCM), less than handing
it to a thread would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import http_ece  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric import ec

from herald.channel import Channel
from herald.channels.push import vapid
from herald.channels.push.errors import PushReason, map_exception, map_response
from herald.clock import Clock, SystemClock
from herald.queue import Delivery, Lane, Outcome, Permanent, RetryAfter, Transient

# Push services refuse encrypted bodies over 4096 bytes (RFC 8291 section 4); checking
# here saves a round trip and names the problem.
MAX_ENCRYPTED_BYTES = 4096
_TOKEN_LIFETIME = 12 * 3600  # RFC 8292 allows at most 24 h; half leaves room for skew
_TOKEN_RENEW_WITHIN = 3600
_TOKEN_CACHE_SIZE = 256
_MAX_BODY_READ = 64 * 1024  # an error page is only quoted; more is not worth reading
_OPTIONAL_STR_FIELDS = ("icon", "badge", "url")


class _Invalid(Exception):
    """A payload that can never be sent; becomes Permanent with ``reason``."""

    def __init__(self, message: str, reason: PushReason) -> None:
        super().__init__(message)
        self.reason = reason


class PushSender:
    """Sends Web Push notifications straight to the subscription's push service.

    Transactional sends get ``Urgency: high`` and a short TTL (a late alert is worse
    than none); campaigns get ``Urgency: normal`` and ``ttl_seconds``.
    """

    channel = Channel.PUSH
    sandbox = False

    def __init__(
        self,
        vapid_private_key: str,
        vapid_subject: str,
        ttl_seconds: int = 86400,
        timeout: float = 10.0,
        *,
        transactional_ttl_seconds: int = 3600,
        allow_insecure_endpoints: bool = False,
        clock: Clock | None = None,
        max_connections: int = 100,
    ) -> None:
        """``allow_insecure_endpoints`` admits http:// endpoints (tests' local push
        service). Real push services are all https, and endpoints come from browsers,
        so refusing plain http narrows what a forged subscription can aim us at; for
        the same reason redirects are never followed. ``max_connections``: the shared
        pool's size, across all push services."""
        self._key: ec.EllipticCurvePrivateKey = vapid.load_private_key(vapid_private_key)
        vapid.check_subject(vapid_subject)
        if ttl_seconds < 0 or transactional_ttl_seconds < 0:
            raise ValueError("push TTLs must be zero or more seconds")
        if timeout <= 0:
            raise ValueError("push timeout must be more than zero seconds")
        if max_connections < 1:
            raise ValueError("push max_connections must be at least 1")
        self._subject = vapid_subject
        self._ttl = {Lane.TRANSACTIONAL: transactional_ttl_seconds, Lane.CAMPAIGN: ttl_seconds}
        self._timeout = timeout
        self._allow_http = allow_insecure_endpoints
        self._clock: Clock = clock or SystemClock()
        # Forms of the secret to scrub from errors, whatever a proxy or service echoes.
        self._secrets = {
            s for s in (vapid_private_key.strip(), vapid.encode_private_key(self._key)) if s
        }
        self._tokens: dict[str, tuple[str, int]] = {}
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None  # made in the running loop

    @property
    def public_key(self) -> str:
        """The applicationServerKey browsers must subscribe with."""
        return vapid.encode_public_key(self._key.public_key())

    async def send(self, delivery: Delivery) -> Outcome:
        try:
            endpoint, headers, body = self._build(delivery)
        except _Invalid as exc:
            return Permanent(self._redact(str(exc)), reason=exc.reason)
        try:
            async with asyncio.timeout(self._timeout):
                try:
                    status, answer, text = await self._post(endpoint, headers, body)
                except aiohttp.ServerDisconnectedError:
                    # The service closed a kept-alive connection as we sent on it; one
                    # try on a fresh one (a duplicate only if it had taken the push).
                    status, answer, text = await self._post(endpoint, headers, body)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return self._scrub(map_exception(exc))
        return self._scrub(map_response(status, answer, text, now=self._clock.now()))

    async def _post(
        self, endpoint: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Mapping[str, str], str]:
        async with self._open().post(
            endpoint, data=body, headers=headers, allow_redirects=False
        ) as response:
            # Read even a success's (empty) body, so the connection goes back to the pool.
            return response.status, response.headers, await _read(response)

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _open(self) -> aiohttp.ClientSession:
        """The shared session, opened on first use: aiohttp binds it to the running loop,
        and the sender may be built before there is one."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections, ttl_dns_cache=300),
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                # Like the Telegram client: no proxy or .netrc from the environment (a
                # .netrc entry would add a second Authorization to the VAPID one).
                trust_env=False,
                auto_decompress=False,
            )
        return self._session

    # --- building the request ---

    def _build(self, delivery: Delivery) -> tuple[str, dict[str, str], bytes]:
        payload = delivery.payload
        if not isinstance(payload, dict):
            raise _Invalid("push payload must be an object", PushReason.INVALID_PAYLOAD)
        endpoint, p256dh, auth = self._subscription(payload.get("subscription"))
        plaintext = _notification_json(payload)
        try:
            body: bytes = http_ece.encrypt(
                plaintext,
                private_key=ec.generate_private_key(ec.SECP256R1()),  # ephemeral, per message
                dh=p256dh,
                auth_secret=auth,
                version="aes128gcm",
            )
        except (http_ece.ECEException, ValueError) as exc:
            raise _Invalid(
                f"cannot encrypt for this subscription: {exc}", PushReason.INVALID_SUBSCRIPTION
            ) from None
        if len(body) > MAX_ENCRYPTED_BYTES:
            raise _Invalid(
                f"encrypted notification is {len(body)} bytes; push services accept at most "
                f"{MAX_ENCRYPTED_BYTES} (about 3,990 bytes of JSON)",
                PushReason.PAYLOAD_TOO_LARGE,
            )
        headers = {
            "Authorization": self._authorization(vapid.audience_for(endpoint)),
            "TTL": str(self._ttl[delivery.lane]),
            "Urgency": "high" if delivery.lane is Lane.TRANSACTIONAL else "normal",
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }
        return endpoint, headers, body

    def _subscription(self, sub: object) -> tuple[str, bytes, bytes]:
        if not isinstance(sub, dict):
            raise _Invalid(
                "push payload has no subscription object", PushReason.INVALID_SUBSCRIPTION
            )
        endpoint, keys = sub.get("endpoint"), sub.get("keys")
        if not isinstance(endpoint, str) or not isinstance(keys, dict):
            raise _Invalid(
                "subscription needs an endpoint and keys", PushReason.INVALID_SUBSCRIPTION
            )
        parts = urlsplit(endpoint)
        allowed = ("https", "http") if self._allow_http else ("https",)
        if parts.scheme not in allowed or not parts.hostname:
            raise _Invalid(
                f"subscription endpoint must be an {' or '.join(allowed)} URL",
                PushReason.INVALID_SUBSCRIPTION,
            )
        p256dh, auth = keys.get("p256dh"), keys.get("auth")
        if not isinstance(p256dh, str) or not isinstance(auth, str):
            raise _Invalid(
                "subscription keys need p256dh and auth", PushReason.INVALID_SUBSCRIPTION
            )
        try:
            p256dh_raw, auth_raw = vapid.b64url_decode(p256dh), vapid.b64url_decode(auth)
        except ValueError:
            raise _Invalid(
                "subscription keys are not base64url", PushReason.INVALID_SUBSCRIPTION
            ) from None
        if len(p256dh_raw) != 65 or p256dh_raw[0] != 0x04:
            raise _Invalid(
                "subscription p256dh is not a 65-byte P-256 point", PushReason.INVALID_SUBSCRIPTION
            )
        if len(auth_raw) != 16:
            raise _Invalid(
                "subscription auth secret is not 16 bytes", PushReason.INVALID_SUBSCRIPTION
            )
        return endpoint, p256dh_raw, auth_raw

    def _authorization(self, audience: str) -> str:
        """One token per push service origin, reused until an hour before it expires:
        signing is cheap, but services like FCM prefer a stable token."""
        now = int(self._clock.now().timestamp())
        cached = self._tokens.get(audience)
        if cached is not None and cached[1] - now > _TOKEN_RENEW_WITHIN:
            return cached[0]
        expires_at = now + _TOKEN_LIFETIME
        header = vapid.authorization_header(
            self._key, audience=audience, subject=self._subject, expires_at=expires_at
        )
        if len(self._tokens) >= _TOKEN_CACHE_SIZE:
            self._tokens.clear()
        self._tokens[audience] = (header, expires_at)
        return header

    # --- keeping the key out of errors ---

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def _scrub(self, outcome: Outcome) -> Outcome:
        if isinstance(outcome, Transient):
            return Transient(self._redact(outcome.error), reason=outcome.reason)
        if isinstance(outcome, Permanent):
            return Permanent(self._redact(outcome.error), reason=outcome.reason)
        if isinstance(outcome, RetryAfter):
            return RetryAfter(outcome.seconds, self._redact(outcome.error), outcome.scope)
        return outcome


async def _read(response: aiohttp.ClientResponse) -> str:
    """The answer's body, bounded (an error page is only quoted); a longer one is cut
    and its connection closed rather than reused."""
    data = b""
    while len(data) < _MAX_BODY_READ:  # read() returns what has arrived, maybe a part
        chunk = await response.content.read(_MAX_BODY_READ - len(data))
        if not chunk:
            break
        data += chunk
    try:
        return data.decode(response.charset or "utf-8", "replace")
    except LookupError:  # a charset Python does not know
        return data.decode("utf-8", "replace")


def _notification_json(payload: dict[str, Any]) -> bytes:
    """The payload minus the subscription, checked so a bad one fails here, not in the
    service worker."""
    notification = {k: v for k, v in payload.items() if k != "subscription"}
    for name in ("title", "body"):
        if not isinstance(notification.get(name), str):
            raise _Invalid(f"push payload needs a string {name!r}", PushReason.INVALID_PAYLOAD)
    for name in _OPTIONAL_STR_FIELDS:
        if notification.get(name) is not None and not isinstance(notification[name], str):
            raise _Invalid(f"push payload {name!r} must be a string", PushReason.INVALID_PAYLOAD)
    if notification.get("data") is not None and not isinstance(notification["data"], dict):
        raise _Invalid("push payload 'data' must be an object", PushReason.INVALID_PAYLOAD)
    try:
        return json.dumps(notification, separators=(",", ":"), ensure_ascii=False).encode()
    except (TypeError, ValueError) as exc:
        raise _Invalid(
            f"push payload is not JSON-serializable: {exc}", PushReason.INVALID_PAYLOAD
        ) from None
