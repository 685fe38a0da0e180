"""The attempts log: each request to an endpoint, written with its outcome.

The sender holds each attempt in memory (``hold``); the queue, recording a batch of
outcomes, calls this log (one of its outcome hooks) inside that transaction, which
writes the batch's attempts and moves each endpoint's failing streak there: a write of
its own per batch cost the alerts a write lock as often as webhook sends were recorded,
and a per-send write would cap the channel at the database's commit rate. In the same
transaction an endpoint that answered 410, or whose every attempt has failed for five
days, is disabled, with a log line and a ``webhook.endpoint_disabled`` event. Held
attempts are let go once the batch is committed (``recorded``, as a worker observer),
so a batch that failed to commit writes them on its retry. An attempt is for people
(the dashboard); a process killed between the send and the outcome's commit loses it,
and an attempt whose outcome was not applied (its lease was lost: the other claimer's
outcome counts) is not logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog
from sqlalchemy import and_, case, func, update
from sqlalchemy.ext.asyncio import AsyncConnection

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
    def __init__(self) -> None:
        self._held: dict[int, tuple[Attempt, bool]] = {}  # delivery id -> (attempt, gone)

    def hold(self, attempt: Attempt, *, gone: bool = False) -> None:
        """Keep ``attempt`` until its delivery's outcome is recorded; ``gone``: the
        endpoint answered 410 and is to be disabled."""
        assert attempt.delivery_id is not None
        self._held[attempt.delivery_id] = (attempt, gone)

    async def __call__(
        self, conn: AsyncConnection, outcomes: Sequence[tuple[Result, Decision]], now: datetime
    ) -> None:
        """Write the attempts of ``outcomes`` in the transaction recording them."""
        held = [self._held[r.delivery.id] for r, _ in outcomes if r.delivery.id in self._held]
        if held:
            await self.write(conn, [a for a, _ in held], {a.endpoint_id for a, g in held if g}, now)

    async def recorded(self, outcomes: Sequence[tuple[Result, Decision]]) -> None:
        """The batch is committed: its attempts are written (or were not applied)."""
        for result, _ in outcomes:
            self._held.pop(result.delivery.id, None)

    async def maintain(self) -> None:
        return None

    async def write(
        self, conn: AsyncConnection, attempts: Sequence[Attempt], gone: set[int], now: datetime
    ) -> None:
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
            ended = E.c.id.in_(ending) & E.c.failing_since.is_not(None)
            await conn.execute(update(E).where(ended).values(failing_since=None))
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
