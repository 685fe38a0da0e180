"""WebhookSender: one event, signed, posted to one endpoint, its attempt stored.

The endpoint is read at send time (at most once a second), so a disabled, deleted or
re-pointed endpoint and a rotated secret take effect within a second, retries included.
The request follows no redirect, has a timeout, and reads at most ``MAX_RESPONSE_BYTES``
of the answer. The attempt goes to the ``AttemptLog``, written with the outcome's batch.
Unless private networks are allowed, every address the host resolves to is checked
again here, by the connector's own resolver, so the address checked is the address
connected to (DNS can change after registration).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from herald.addresses import forbidden
from herald.channel import WEBHOOK_CHANNEL
from herald.channels.webhook.errors import WebhookReason, map_exception, map_response
from herald.clock import Clock
from herald.queue import Delivery, Outcome, Permanent, Sent
from herald.webhooks import Attempt, Endpoint, EndpointNotFound, EndpointStore
from herald.webhooks.addresses import ForbiddenAddress, parse_url
from herald.webhooks.attempts import AttemptLog
from herald.webhooks.secrets import signature_header

MAX_RESPONSE_BYTES = 4096
ENDPOINT_CACHE_SECONDS = 1.0
USER_AGENT = "herald-webhooks/1"


class PublicOnlyResolver(AbstractResolver):
    """The default resolver, refusing (ForbiddenAddress) a host with any address that is
    not public: the connection uses the very addresses checked."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            if (why := forbidden(result["host"])) is not None:
                raise ForbiddenAddress(f"{host} resolves to {why}; not called")
        return results

    async def close(self) -> None:
        await self._inner.close()


def body_of(payload: dict[str, Any]) -> bytes:
    """The request body, Standard Webhooks' envelope: type, timestamp, data."""
    envelope = {"type": payload["type"], "timestamp": payload["timestamp"], "data": payload["data"]}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookSender:
    channel = WEBHOOK_CHANNEL
    sandbox = False

    def __init__(
        self,
        store: EndpointStore,
        log: AttemptLog,
        clock: Clock,
        *,
        allow_private: bool = False,
        timeout_seconds: float = 10.0,
        max_connections: int = 100,
    ) -> None:
        self.store = store
        self.log = log
        self._endpoints: dict[int, tuple[float, asyncio.Future[Endpoint]]] = {}
        self.clock = clock
        self.allow_private = allow_private
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.max_connections,
                resolver=None if self.allow_private else PublicOnlyResolver(),
                use_dns_cache=self.allow_private,  # else every connection is checked afresh
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self.timeout, trust_env=False
            )
        return self._session

    async def send(self, delivery: Delivery) -> Outcome:
        payload = delivery.payload
        try:
            endpoint = await self._endpoint(int(payload["endpoint_id"]))
        except EndpointNotFound as exc:
            return Permanent(str(exc), reason=WebhookReason.ENDPOINT_UNAVAILABLE)
        if not endpoint.enabled:
            return Permanent(
                f"endpoint {endpoint.id} is disabled ({endpoint.disabled_reason})",
                reason=WebhookReason.ENDPOINT_UNAVAILABLE,
            )
        now = self.clock.now()
        body = body_of(payload)
        timestamp = int(now.timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": payload["event_id"],
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(
                endpoint.signing_secrets(now), payload["event_id"], timestamp, body
            ),
        }
        status: int | None = None
        snippet = ""
        started = time.perf_counter()
        try:
            self._check_literal(endpoint.url)
            async with self._client().post(
                endpoint.url, data=body, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                raw = await response.content.read(MAX_RESPONSE_BYTES)
                snippet = raw.decode("utf-8", errors="replace")
                retry_after = response.headers.get("retry-after")
            outcome = map_response(status, snippet, retry_after, self.clock.now())
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            outcome = map_exception(exc)
        latency_ms = (time.perf_counter() - started) * 1000
        self._after(endpoint, delivery, outcome, status, snippet, latency_ms)
        return outcome

    def _check_literal(self, url: str) -> None:
        """An IP literal never reaches the resolver: check it here, and the scheme."""
        try:
            parts = parse_url(url, allow_private=self.allow_private)
        except ValueError as exc:
            raise ForbiddenAddress(f"{url}: {exc}") from None
        host = parts.hostname or ""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return  # a name: the resolver checks what it resolves to
        if not self.allow_private and (why := forbidden(host)) is not None:
            raise ForbiddenAddress(f"{why}; not called")

    def _after(
        self,
        endpoint: Endpoint,
        delivery: Delivery,
        outcome: Outcome,
        status: int | None,
        snippet: str,
        latency_ms: float,
    ) -> None:
        """Hand the attempt to the log, which writes it with the outcome's batch (and
        disables the endpoint after a 410 or five days of failures)."""
        ok = isinstance(outcome, Sent)
        self.log.hold(
            Attempt(
                endpoint_id=endpoint.id,
                event_id=delivery.payload["event_id"],
                event_type=delivery.payload["type"],
                attempted_at=self.clock.now(),
                status=status,
                latency_ms=round(latency_ms, 2),
                ok=ok,
                error=None if ok else getattr(outcome, "error", None),
                response=snippet,
                delivery_id=delivery.id,
            ),
            gone=isinstance(outcome, Permanent) and outcome.reason == WebhookReason.GONE,
        )

    async def _endpoint(self, endpoint_id: int) -> Endpoint:
        """The endpoint as stored, read at most once a second per endpoint and by one
        request at a time (the sends in flight share it): a change (rotation, new URL,
        disabled) reaches the sends within a second."""
        now = time.monotonic()
        cached = self._endpoints.get(endpoint_id)
        if cached is None or now - cached[0] >= ENDPOINT_CACHE_SECONDS:
            cached = (now, asyncio.ensure_future(self.store.get(endpoint_id)))
            self._endpoints[endpoint_id] = cached
        try:
            return await asyncio.shield(cached[1])
        except EndpointNotFound:
            raise
        except Exception:
            self._endpoints.pop(endpoint_id, None)  # the database was away: ask again
            raise

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
