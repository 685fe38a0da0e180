"""Request and response bodies of the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, field_validator

from herald.db.types import MAX_ID
from herald.queue import Delivery, QueueStats


def storable(value: str) -> str:
    """Text both databases keep as given: PostgreSQL refuses NUL characters and text
    that is not valid UTF-8 (a lone surrogate, which JSON's \\u escapes can carry)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


def _storable_json(value: Any) -> Any:
    if isinstance(value, str):
        storable(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            storable(k)
            _storable_json(v)
    elif isinstance(value, list):
        for v in value:
            _storable_json(v)
    return value


class RequestModel(BaseModel):
    """A request body: every string in it, however deep, is storable text (a 422
    naming the field otherwise, on SQLite as on PostgreSQL)."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _storable_json(value)


StoredText = Annotated[str, AfterValidator(storable)]
# A recipient's id as the caller gave it, in a path (recipients, preferences, links).
ExternalId = Annotated[StoredText, Path(min_length=1, max_length=255)]


def _utc(value: datetime) -> datetime:
    """An aware time both databases store as UTC: 0001-01-01T00:00+05:00 has no UTC
    form in Python's range, and converting it would be a 500 rather than a 422."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range once converted to UTC") from None


# Every time the API accepts: aware (with an offset), and within range in UTC.
UtcTime = Annotated[AwareDatetime, AfterValidator(_utc)]
# A JSON object whose every string (keys too) is storable text.
StoredObject = Annotated[dict[str, Any], AfterValidator(_storable_json)]
LaneName = Literal["transactional", "campaign"]
StateName = Literal["pending", "running", "sent", "dead", "cancelled", "skipped"]


class DeliveryIn(RequestModel):
    channel: str = Field(description="telegram, email or push", min_length=1, max_length=32)
    recipient: str = Field(min_length=1, max_length=1024, description="chat id, address, endpoint")
    payload: dict[str, Any] = Field(default_factory=dict)
    lane: LaneName = "transactional"
    ordering_key: str | None = Field(None, max_length=1024)
    idempotency_key: str | None = Field(None, min_length=1, max_length=255)
    campaign: str | None = Field(None, max_length=128)
    run_at: UtcTime | None = None


class DeliveryOut(BaseModel):
    id: int
    lane: LaneName
    channel: str
    recipient: str
    ordering_key: str | None
    payload: dict[str, Any]
    state: StateName
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None
    provider_message_id: str | None
    idempotency_key: str | None
    campaign: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(
            id=d.id,
            lane=d.lane.label,
            channel=d.channel,
            recipient=d.recipient,
            ordering_key=d.ordering_key,
            payload=d.payload,
            state=d.state.value,
            attempts=d.attempts,
            max_attempts=d.max_attempts,
            run_at=d.run_at,
            last_error=d.last_error,
            provider_message_id=d.provider_message_id,
            idempotency_key=d.idempotency_key,
            campaign=d.campaign,
            created_at=d.created_at,
            finished_at=d.finished_at,
        )


class EnqueuedOut(BaseModel):
    id: int
    created: bool = Field(description="false when the idempotency key was already used")


class ReplayFilter(RequestModel):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=10_000
    )
    channel: str | None = None
    error: str | None = Field(None, description="substring of the last error")
    campaign: str | None = None
    since: UtcTime | None = None
    until: UtcTime | None = None
    all: bool = Field(False, description="must be true to replay with no filter at all")


class ReplayOut(BaseModel):
    replayed: int


class LaneStateCount(BaseModel):
    lane: LaneName
    state: StateName
    count: int


class QueueStatsOut(BaseModel):
    counts: list[LaneStateCount]
    oldest_waiting_seconds: float | None

    @classmethod
    def of(cls, stats: QueueStats) -> QueueStatsOut:
        return cls(
            counts=[
                LaneStateCount(lane=lane, state=state, count=n)
                for (lane, state), n in sorted(stats.counts.items())
            ],
            oldest_waiting_seconds=stats.oldest_waiting_seconds,
        )


class SandboxMessageOut(BaseModel):
    id: int
    delivery_id: int | None
    channel: str
    recipient: str
    payload: dict[str, Any]
    created_at: datetime
