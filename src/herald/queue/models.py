"""The queue's vocabulary: lanes, states, a delivery and a request to enqueue one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any


class Lane(IntEnum):
    """Stored as its integer, so ``ORDER BY lane`` serves transactional first."""

    TRANSACTIONAL = 0
    CAMPAIGN = 1

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str | int | Lane) -> Lane:
        if isinstance(value, str):
            try:
                return cls[value.upper()]
            except KeyError:
                raise ValueError(f"unknown lane {value!r}: transactional or campaign") from None
        return cls(value)


class State(StrEnum):
    PENDING = "pending"  # waiting for run_at (new, retrying, rescued or replayed)
    RUNNING = "running"  # claimed by a worker that holds the lease
    SENT = "sent"  # done; kept for the retention period as the delivery log
    DEAD = "dead"  # permanent failure or retries exhausted; replayable
    CANCELLED = "cancelled"  # withdrawn before it was sent (a cancelled campaign)
    SKIPPED = "skipped"  # held back for good by the dispatch gate (an opt-out); the
    # reason is in last_error; not a dead letter, never replayed


# How last_error starts on a delivery the dispatch gate deferred (quiet hours, a cap):
# the reason is kept for the delivery log, but it is a note, not a failure.
DEFERRED = "deferred: "


@dataclass(frozen=True, slots=True)
class NewDelivery:
    channel: str
    recipient: str
    payload: dict[str, Any]
    lane: Lane = Lane.TRANSACTIONAL
    ordering_key: str | None = None  # defaults to "<channel>:<recipient>"
    idempotency_key: str | None = None
    campaign: str | None = None
    run_at: datetime | None = None  # defaults to now
    max_attempts: int | None = None  # defaults to the channel's retry policy
    notification_id: int | None = None  # set by messaging; the queue only stores it

    def key(self) -> str:
        return self.ordering_key or f"{self.channel}:{self.recipient}"


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    lane: Lane
    channel: str
    recipient: str
    ordering_key: str | None
    payload: dict[str, Any]
    state: State
    attempts: int
    max_attempts: int
    run_at: datetime
    locked_until: datetime | None
    locked_by: str | None
    last_error: str | None
    provider_message_id: str | None
    idempotency_key: str | None
    campaign: str | None
    created_at: datetime
    finished_at: datetime | None
    notification_id: int | None = None
    # What the claimer's own expression said of this row (DeliveryQueue.claim's annotate),
    # computed by the claim itself; None when it asked for none.
    annotation: Any = None

    @classmethod
    def from_row(cls, row: Any) -> Delivery:
        m = row._mapping
        return cls(
            id=m["id"],
            lane=Lane(m["lane"]),
            channel=m["channel"],
            recipient=m["recipient"],
            ordering_key=m["ordering_key"],
            payload=m["payload"],
            state=State(m["state"]),
            attempts=m["attempts"],
            max_attempts=m["max_attempts"],
            run_at=m["run_at"],
            locked_until=m["locked_until"],
            locked_by=m["locked_by"],
            last_error=m["last_error"],
            provider_message_id=m["provider_message_id"],
            idempotency_key=m["idempotency_key"],
            campaign=m["campaign"],
            created_at=m["created_at"],
            finished_at=m["finished_at"],
            notification_id=m.get("notification_id"),
            annotation=m.get("annotation"),
        )


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """Filters shared by the delivery list, dead-letter list and bulk replay."""

    state: State | None = None
    channel: str | None = None
    lane: Lane | None = None
    campaign: str | None = None
    error_contains: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    ids: tuple[int, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class QueueStats:
    counts: dict[tuple[str, str], int]  # (lane, state) -> count
    oldest_waiting_seconds: float | None

    def total(self, state: State) -> int:
        return sum(n for (_, s), n in self.counts.items() if s == state.value)
