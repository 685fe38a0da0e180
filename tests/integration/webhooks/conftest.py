"""An app whose webhooks may call loopback, a receiver that verifies with the PyPI
``standardwebhooks`` package, and the steps that move events to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from httpx import AsyncClient

from herald.clock import FakeClock
from herald.config import load_settings
from herald.events import Event, EventType, record
from herald.runtime import Runtime
from tests.support.app import serve
from tests.support.webhook_receiver import Receiver

HOOKS = "/api/v1/webhooks"


@dataclass
class Hooked:
    client: AsyncClient
    runtime: Runtime
    receiver: Receiver
    clock: FakeClock

    async def endpoint(self, events: list[str], path: str = "") -> dict[str, Any]:
        """Register the receiver; its secret is one the receiver verifies with."""
        created = await self.client.post(
            HOOKS, json={"url": self.receiver.url + path, "events": events}
        )
        assert created.status_code == 201, created.text
        body: dict[str, Any] = created.json()
        self.receiver.secrets.append(body["secret"])
        return body

    async def emit(self, *events: Event) -> None:
        async with self.runtime.db.write() as conn:
            await record(conn, events)

    def event(self, type_: EventType, subject: str, **data: Any) -> Event:
        return Event(type_, subject, data, self.clock.now())

    async def pump(self) -> None:
        """Fan the outbox out, then send what is due. ``Worker.drain`` returns when the
        send that held a subject's key is recorded, before the next event of that
        subject is claimed: drain until a round claims nothing."""
        await self.runtime.fanout.drain()
        worker = self.runtime.worker(exclusive=False)
        while (await worker.drain()).claimed:
            pass

    async def later(self, seconds: float) -> None:
        self.clock.advance(seconds)
        await self.pump()


@pytest.fixture
async def hooked(database_url: str, clock: FakeClock) -> AsyncIterator[Hooked]:
    settings = load_settings(
        env="dev",
        database_url=database_url,
        webhooks={"allow_private_networks": True, "timeout_seconds": 0.5},
    )
    async with Receiver(clock) as receiver, serve(settings, clock) as (client, runtime):
        yield Hooked(client, runtime, receiver, clock)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)
