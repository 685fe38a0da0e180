"""A real webhook receiver over loopback (aiohttp) that verifies every request with the
``standardwebhooks`` package from PyPI: an implementation that is not herald's.

Each request takes the next scripted answer (a status, or ``TIMEOUT``: answer only
after the sender's timeout), then 200. The receiver's clock is the test's clock: the
library checks ``webhook-timestamp`` against its own ``now`` within five minutes, and a
test that moves a FakeClock hours ahead moves the receiver's ``now`` with it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from herald.clock import Clock

TIMEOUT = "timeout"
TOLERANCE = timedelta(minutes=5)


class ClockedWebhook(Webhook):
    """The library's verification, its timestamp window read from the test's clock."""

    def __init__(self, secret: str, clock: Clock) -> None:
        super().__init__(secret)
        self._clock = clock

    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:
        timestamp = datetime.fromtimestamp(float(timestamp_header), tz=self._clock.now().tzinfo)
        now = self._clock.now()
        if not now - TOLERANCE <= timestamp <= now + TOLERANCE:
            raise WebhookVerificationError("Message timestamp outside the tolerance")
        return timestamp


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified_by: list[str]  # the secrets (of ``Receiver.secrets``) whose check passed
    answered: int | str
    query: str = ""  # what follows "?" in the URL: which endpoint, when several share it
    at: float = 0.0  # time.monotonic() when it arrived

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    clock: Clock
    secrets: list[str] = field(default_factory=list)
    script: list[int | str] = field(default_factory=list)
    otherwise: int = 200  # the answer once the script is spent
    hang_seconds: float = 2.0
    pause_seconds: float = 0.0  # before every answer: a receiver that takes its time
    pause_for: dict[str, float] = field(default_factory=dict)  # by query: one slow endpoint
    retry_after: str = ""  # the Retry-After header of a 429 or 503 answer, if any
    requests: list[Received] = field(default_factory=list)
    in_flight: Counter[str] = field(default_factory=Counter)  # by query, now
    most_in_flight: Counter[str] = field(default_factory=Counter)  # by query, ever
    url: str = ""
    _runner: web.AppRunner | None = None

    def _verified_by(self, body: bytes, headers: dict[str, str]) -> list[str]:
        passed = []
        for secret in self.secrets:
            try:
                ClockedWebhook(secret, self.clock).verify(body, headers)
            except WebhookVerificationError:
                continue
            passed.append(secret)
        return passed

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        body = await request.read()
        headers = dict(request.headers)
        answer: int | str = self.script.pop(0) if self.script else self.otherwise
        query = request.query_string
        verified = self._verified_by(body, headers)
        self.requests.append(Received(headers, body, verified, answer, query, arrived))
        self.in_flight[query] += 1
        self.most_in_flight[query] = max(self.most_in_flight[query], self.in_flight[query])
        try:
            pause = self.pause_for.get(query, self.pause_seconds)
            if pause:
                await asyncio.sleep(pause)
            if answer == TIMEOUT:
                await asyncio.sleep(self.hang_seconds)
                return web.Response(status=200)
            wait = self.retry_after if answer in (429, 503) and self.retry_after else None
            headers = {"Retry-After": wait} if wait else None
            return web.Response(status=int(answer), text=f"answered {answer}", headers=headers)
        finally:
            self.in_flight[query] -= 1

    def events(self) -> list[dict[str, Any]]:
        """The bodies of the requests answered 2xx, in the order they came."""
        return [r.json for r in self.requests if r.answered in range(200, 300)]

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()
