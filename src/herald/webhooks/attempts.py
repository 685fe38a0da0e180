"""The attempts log: each request to an endpoint, written once its outcome is recorded.

The sender holds each attempt in memory (``hold``); the worker, after it commits a batch
of outcomes, hands the batch to this log (it is one of the worker's observers), which
writes the batch's attempts in one transaction and moves each endpoint's failing streak:
a per-send write would cap the channel at the database's commit rate. In the same
transaction an endpoint that answered 410, or whose every attempt has failed for five
days, is disabled, with a log line and a ``webhook.endpoint_disabled`` event. An
attempt is for people (the dashboard); a process killed between
the send and this write loses it, and the endpoint's next failure disables it instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy import and_, case, func, update
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import webhook_attempts, webhook_endpoints
from herald.events import record
from herald.events.schemas import WebhookEndpointDisabled
from herald.queue import Result
from herald.queue.policy import Decision
from herald.webhooks.store import SNIPPET_CHARS, Attempt

E = webhook_endpoints
FAILING_LIMIT = timedelta(days=5)
log = structlog.get_logger("herald.webhooks")


class AttemptLog:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._held: dict[int, tuple[Attempt, bool]] = {}  # delivery id -> (attempt, gone)

    def hold(self, attempt: Attempt, *, gone: bool = False) -> None:
        """Keep ``attempt`` until its delivery's outcome is recorded; ``gone``: the
        endpoint answered 410 and is to be disabled."""
        assert attempt.delivery_id is not None
        self._held[attempt.delivery_id] = (attempt, gone)

    async def recorded(self, outcomes: Sequence[tuple[Result, Decision]]) -> None:
        taken = [self._held.pop(r.delivery.id) for r, _ in outcomes if r.delivery.id in self._held]
        await self.write([a for a, _ in taken], {a.endpoint_id for a, gone in taken if gone})

    async def maintain(self) -> None:
        return None

    async def write(self, attempts: Sequence[Attempt], gone: set[int]) -> None:
        if not attempts:
            return
        now = self.clock.now()
        async with self.db.write() as conn:
            await conn.execute(
                webhook_attempts.insert(),
                [
                    {
                        "endpoint_id": a.endpoint_id,
                        "event_id": a.event_id,
                        "event_type": a.event_type,
                        "delivery_id": a.delivery_id,
                        "attempted_at": a.attempted_at,
                        "status": a.status,
                        "latency_ms": a.latency_ms,
                        "ok": a.ok,
                        "error": a.error[:SNIPPET_CHARS] if a.error else None,
                        "response": a.response[:SNIPPET_CHARS],
                    }
                    for a in attempts
                ],
            )
            ending, starting = streaks(attempts)
            if ending:
                await conn.execute(update(E).where(E.c.id.in_(ending)).values(failing_since=None))
            for endpoint_id, since in starting.items():
                await conn.execute(
                    update(E)
                    .where(E.c.id == endpoint_id)
                    .values(failing_since=func.coalesce(E.c.failing_since, since))
                )
            await self._disable(conn, gone, starting, now)

    async def _disable(
        self, conn: AsyncConnection, gone: set[int], failing: dict[int, datetime], now: datetime
    ) -> None:
        """410s at once; five days of failures among the endpoints failing now."""
        candidates = gone | set(failing)
        if not candidates:
            return
        too_long = and_(E.c.id.in_(failing), E.c.failing_since <= now - FAILING_LIMIT)
        reason = case(
            (E.c.id.in_(gone), "the endpoint answered 410 Gone"),
            else_="every attempt failed for 5 days",
        )
        rows = await conn.execute(
            update(E)
            .where(E.c.enabled.is_(True), E.c.id.in_(gone) | too_long)
            .values(enabled=False, disabled_reason=reason, updated_at=now)
            .returning(E.c.id, E.c.url, E.c.disabled_reason)
        )
        disabled = [
            WebhookEndpointDisabled(endpoint_id=i, url=url, reason=why, disabled_at=now)
            for i, url, why in rows.all()
        ]
        await record(conn, [d.event(now) for d in disabled])
        for d in disabled:
            log.warning("webhook_endpoint_disabled", endpoint_id=d.endpoint_id, reason=d.reason)


def streaks(attempts: Sequence[Attempt]) -> tuple[list[int], dict[int, datetime]]:
    """From attempts in order: the endpoints with a success among them (their earlier
    streak ends), and those whose last attempt failed, with the time their streak began
    among ``attempts`` (an earlier one still running is kept: applied after the first)."""
    since: dict[int, datetime | None] = {}
    succeeded: list[int] = []
    for a in attempts:
        if a.ok:
            since[a.endpoint_id] = None
            succeeded.append(a.endpoint_id)
        elif since.get(a.endpoint_id) is None:
            since[a.endpoint_id] = a.attempted_at
    return list(dict.fromkeys(succeeded)), {e: at for e, at in since.items() if at is not None}
