"""Webhook endpoints and their recent attempts, in the database.

A secret is shown once, when it is made (create, rotate), and kept so that herald can
sign; ``Endpoint`` leaves it out of its ``repr`` and the faces never answer with it
again. After a rotation the previous secret signs beside the new one for 24 hours.
An endpoint may carry its own limits (requests in flight, per second); None leaves it
the settings' defaults.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Literal, TypeVar

from sqlalchemy import delete, desc, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import webhook_attempts, webhook_endpoints
from herald.webhooks import addresses
from herald.webhooks.secrets import new_secret
from herald.webhooks.subscriptions import check_patterns

E = webhook_endpoints
A = webhook_attempts
_Row = TypeVar("_Row", "Endpoint", "Attempt")
ROTATION_OVERLAP = timedelta(hours=24)
MAX_DESCRIPTION = 500
SNIPPET_CHARS = 500
MAX_IN_FLIGHT = 1000
RATE_RANGE = (0.01, 10_000.0)  # requests per second: one per 100 s .. ten thousand


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # update(): leave the field as it is (None clears an own limit)
Keep = Literal[_Keep.KEEP]


class WebhookRuleError(ValueError):
    """A field an endpoint may not hold; ``loc`` names it, for the API's 422."""

    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        super().__init__(f"{'.'.join(map(str, loc))}: {msg}")
        self.loc = loc
        self.msg = msg


class EndpointNotFound(LookupError):
    def __init__(self, endpoint_id: int) -> None:
        super().__init__(f"no webhook endpoint {endpoint_id}")
        self.endpoint_id = endpoint_id


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    url: str
    events: Sequence[str]
    description: str = ""
    max_in_flight: int | None = None
    rate_per_second: float | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: int
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime
    secret: str = field(repr=False)
    previous_secret: str | None = field(repr=False, default=None)
    previous_expires_at: datetime | None = None
    max_in_flight: int | None = None  # None: HERALD_WEBHOOKS__ENDPOINT_CONCURRENCY
    rate_per_second: float | None = None  # None: HERALD_WEBHOOKS__ENDPOINT_RATE_PER_SECOND

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a request sent at ``now``: the current one, and the
        previous one during the day after a rotation."""
        keys = [self.secret]
        if self.previous_secret and self.previous_expires_at and now < self.previous_expires_at:
            keys.append(self.previous_secret)
        return keys

    @property
    def previous_secret_until(self) -> datetime | None:
        return self.previous_expires_at if self.previous_secret else None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One request to an endpoint, as the dashboard shows it. ``status`` is None when
    no answer came (a timeout, a refused connection)."""

    endpoint_id: int
    event_id: str
    event_type: str
    attempted_at: datetime
    status: int | None
    latency_ms: float
    ok: bool
    error: str | None = None
    response: str = ""
    delivery_id: int | None = None


def _from_row(cls: type[_Row], row: Any) -> _Row:
    """A dataclass whose fields are named as the columns."""
    return cls(**{f.name: row._mapping[f.name] for f in fields(cls)})


class EndpointStore:
    def __init__(self, db: Database, clock: Clock, *, allow_private: bool = False) -> None:
        self.db = db
        self.clock = clock
        self.allow_private = allow_private

    async def _checked_url(self, url: str) -> str:
        url = url.strip()
        try:
            await addresses.check_url(url, allow_private=self.allow_private)
        except ValueError as exc:
            raise WebhookRuleError(("url",), str(exc)) from None
        return url

    @staticmethod
    def _checked_events(events: Sequence[str]) -> list[str]:
        try:
            return check_patterns(events)
        except ValueError as exc:
            raise WebhookRuleError(("events",), str(exc)) from None

    @staticmethod
    def _checked_description(description: str) -> str:
        if len(description) > MAX_DESCRIPTION:
            raise WebhookRuleError(("description",), f"at most {MAX_DESCRIPTION} characters")
        return description

    @staticmethod
    def _checked_max_in_flight(value: int | None) -> int | None:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_IN_FLIGHT
        ):
            raise WebhookRuleError(
                ("max_in_flight",), f"a whole number from 1 to {MAX_IN_FLIGHT}, or null"
            )
        return value

    @staticmethod
    def _checked_rate(value: float | None) -> float | None:
        low, high = RATE_RANGE
        if value is None:
            return None
        if isinstance(value, bool) or not math.isfinite(value) or not low <= value <= high:
            raise WebhookRuleError(
                ("rate_per_second",), f"requests per second from {low:g} to {high:g}, or null"
            )
        return float(value)

    async def create(self, new: NewEndpoint) -> tuple[Endpoint, str]:
        """The endpoint and its secret (the only time the secret is returned)."""
        url = await self._checked_url(new.url)
        events = self._checked_events(new.events)
        description = self._checked_description(new.description)
        max_in_flight = self._checked_max_in_flight(new.max_in_flight)
        rate_per_second = self._checked_rate(new.rate_per_second)
        secret = new_secret()
        now = self.clock.now()
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    E.insert()
                    .values(
                        url=url,
                        description=description,
                        events=events,
                        enabled=True,
                        secret=secret,
                        created_at=now,
                        updated_at=now,
                        max_in_flight=max_in_flight,
                        rate_per_second=rate_per_second,
                    )
                    .returning(*E.c)
                )
            ).one()
        return _from_row(Endpoint, row), secret

    async def all(self) -> list[Endpoint]:
        async with self.db.read() as conn:
            rows = (await conn.execute(select(E).order_by(E.c.id))).all()
        return [_from_row(Endpoint, r) for r in rows]

    async def get(self, endpoint_id: int) -> Endpoint:
        async with self.db.read() as conn:
            row = (await conn.execute(select(E).where(E.c.id == endpoint_id))).first()
        if row is None:
            raise EndpointNotFound(endpoint_id)
        return _from_row(Endpoint, row)

    async def update(
        self,
        endpoint_id: int,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        enabled: bool | None = None,
        description: str | None = None,
        max_in_flight: int | Keep | None = KEEP,
        rate_per_second: float | Keep | None = KEEP,
    ) -> Endpoint:
        """Change the fields given (a limit given as None goes back to the default);
        enabling an endpoint clears why it was disabled and its failing streak, so it
        gets five fresh days."""
        values: dict[str, Any] = {"updated_at": self.clock.now()}
        if max_in_flight is not KEEP:
            values["max_in_flight"] = self._checked_max_in_flight(max_in_flight)
        if rate_per_second is not KEEP:
            values["rate_per_second"] = self._checked_rate(rate_per_second)
        if url is not None:
            values["url"] = await self._checked_url(url)
        if events is not None:
            values["events"] = self._checked_events(events)
        if description is not None:
            values["description"] = self._checked_description(description)
        if enabled is not None:
            values["enabled"] = enabled
            if enabled:
                values |= {"disabled_reason": None, "failing_since": None}
            else:
                values["disabled_reason"] = "disabled by an operator"
        return await self._update(endpoint_id, values)

    async def _update(self, endpoint_id: int, values: dict[str, Any]) -> Endpoint:
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    update(E).where(E.c.id == endpoint_id).values(**values).returning(*E.c)
                )
            ).first()
        if row is None:
            raise EndpointNotFound(endpoint_id)
        return _from_row(Endpoint, row)

    async def delete(self, endpoint_id: int) -> None:
        async with self.db.write() as conn:
            await conn.execute(delete(A).where(A.c.endpoint_id == endpoint_id))
            deleted = await conn.execute(delete(E).where(E.c.id == endpoint_id))
        if deleted.rowcount == 0:
            raise EndpointNotFound(endpoint_id)

    async def rotate(self, endpoint_id: int) -> tuple[Endpoint, str]:
        """A new secret; the current one keeps signing beside it for 24 hours."""
        current = await self.get(endpoint_id)
        secret = new_secret()
        now = self.clock.now()
        endpoint = await self._update(
            endpoint_id,
            {
                "secret": secret,
                "previous_secret": current.secret,
                "previous_expires_at": now + ROTATION_OVERLAP,
                "updated_at": now,
            },
        )
        return endpoint, secret

    async def disable(self, endpoint_id: int, reason: str) -> Endpoint:
        return await self._update(
            endpoint_id,
            {"enabled": False, "disabled_reason": reason, "updated_at": self.clock.now()},
        )

    async def subscribed(self, conn: AsyncConnection) -> list[Endpoint]:
        """The enabled endpoints, read in the caller's transaction (the fan-out's)."""
        rows = (await conn.execute(select(E).where(E.c.enabled.is_(True)))).all()
        return [_from_row(Endpoint, r) for r in rows]

    async def own_limits(self) -> dict[str, tuple[int | None, float | None]]:
        """(max_in_flight, rate_per_second) of each endpoint that has either, by its id
        as a delivery's recipient: what the worker's per-endpoint limits read."""
        has_own = E.c.max_in_flight.is_not(None) | E.c.rate_per_second.is_not(None)
        query = select(E.c.id, E.c.max_in_flight, E.c.rate_per_second).where(has_own)
        async with self.db.read() as conn:
            rows = (await conn.execute(query)).all()
        return {str(r.id): (r.max_in_flight, r.rate_per_second) for r in rows}

    async def attempts(self, endpoint_id: int, limit: int = 20) -> list[Attempt]:
        """The latest attempts, newest first."""
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(A)
                    .where(A.c.endpoint_id == endpoint_id)
                    .order_by(desc(A.c.id))
                    .limit(limit)
                )
            ).all()
        return [_from_row(Attempt, r) for r in rows]

    async def prune_attempts(self, older_than: timedelta) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(
                delete(A).where(A.c.attempted_at < self.clock.now() - older_than)
            )
        return int(result.rowcount or 0)
