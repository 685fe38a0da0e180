"""The worker's tuning, one value for the whole process (channels have their plans)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from herald.config import Settings
from herald.worker.deference import Deference


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """The worker's tuning knobs, the same for every channel.

    ``maintenance_interval`` None: often enough that a lost lease is noticed within
    about half a lease (min(15 s, lease / 2)). ``retention`` None: sent rows are kept.
    ``lease_ttl``: the exclusive channels' leases. ``deference``: when background
    channels hold their claims for the alerts."""

    batch_size: int = 200
    poll_interval: float = 1.0
    record_interval: float = 0.02
    record_batch: int = 500
    maintenance_interval: float | None = None
    retention: timedelta | None = None
    shutdown_grace: float = 10.0
    lease_ttl: float = 15.0
    deference: Deference = field(default_factory=Deference)

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerOptions:
        return cls(
            batch_size=settings.claim_batch_size,
            poll_interval=settings.poll_interval_seconds,
            retention=timedelta(days=settings.retention_days),
            shutdown_grace=settings.shutdown_grace_seconds,
        )
