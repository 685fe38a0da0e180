"""Wiring: build every long-lived object from one Settings, in one place.

The web app factory and each CLI command build a Runtime and pass its parts
down; nothing else constructs engines, queues or senders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog

from herald.auth import ApiKeys
from herald.channels import SandboxSender, Sender
from herald.clock import Clock, SystemClock
from herald.config import Settings
from herald.db import Database
from herald.messaging.recipients import Recipients
from herald.metrics import Metrics
from herald.queue import DeliveryQueue, RetryPolicy
from herald.worker import RateLimit, Worker

CHANNELS = ("telegram", "email", "push")
log = structlog.get_logger("herald")


def retry_policies(settings: Settings) -> dict[str, RetryPolicy]:
    return {
        name: RetryPolicy(
            max_attempts=c.max_attempts,
            base_seconds=c.backoff_base_seconds,
            max_seconds=c.backoff_max_seconds,
            jitter=c.backoff_jitter,
        )
        for name in CHANNELS
        for c in [settings.channel(name)]
    }


def build_senders(settings: Settings, db: Database, clock: Clock) -> dict[str, Sender]:
    """Real senders arrive with the messaging issue; until a channel has
    credentials it delivers into the sandbox inbox."""
    return {name: SandboxSender(name, db, clock) for name in CHANNELS}


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    queue: DeliveryQueue
    metrics: Metrics
    api_keys: ApiKeys
    recipients: Recipients
    senders: dict[str, Sender] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        senders: Mapping[str, Sender] | None = None,
    ) -> Runtime:
        clock = clock or SystemClock()
        db = Database(settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        queue = DeliveryQueue(
            db,
            clock,
            policies=retry_policies(settings),
            lease_seconds=settings.lease_seconds,
            chunk_size=settings.enqueue_chunk_size,
        )
        chosen = dict(senders) if senders is not None else build_senders(settings, db, clock)
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            queue=queue,
            metrics=Metrics(),
            api_keys=ApiKeys(db, clock),
            recipients=Recipients(db, clock),
            senders=chosen,
        )

    @property
    def sandbox_channels(self) -> list[str]:
        return sorted(name for name, s in self.senders.items() if s.sandbox)

    def worker(self, **overrides: Any) -> Worker:
        s = self.settings
        options: dict[str, Any] = {
            "limits": {
                n: RateLimit(s.channel(n).rate_per_second, s.channel(n).burst) for n in CHANNELS
            },
            "concurrency": {n: s.channel(n).concurrency for n in CHANNELS},
            "metrics": self.metrics,
            "batch_size": s.claim_batch_size,
            "poll_interval": s.poll_interval_seconds,
            "retention": timedelta(days=s.retention_days),
            "shutdown_grace": s.shutdown_grace_seconds,
        }
        options.update(overrides)
        return Worker(self.queue, self.senders, **options)

    def log_channels(self) -> None:
        if self.sandbox_channels:
            log.warning(
                "channels_in_sandbox",
                channels=self.sandbox_channels,
                hint="no credentials configured: messages go to the sandbox inbox",
            )

    async def close(self) -> None:
        for sender in self.senders.values():
            await sender.close()
        await self.db.dispose()
