"""Operating the queue: listing, dead-letter replay, lease rescue, retention and stats."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import case, delete, func, select, update

from herald.db.tables import deliveries as D
from herald.queue.filters import conditions, failed_and_waiting
from herald.queue.models import Delivery, DeliveryFilter, Lane, QueueStats, State
from herald.queue.outcomes import Permanent
from herald.queue.policy import Decision
from herald.queue.store import DeliveryQueue, Result

REPLAY_BATCH = 1000
PRUNE_BATCH = 5000
LOST_ON_LAST_ATTEMPT = "lease expired on the last attempt (worker lost)"
LOST_AND_RETRYING = "lease expired (worker lost); retrying"
# A rescue that dead-letters, told to the outcomes hook like a recorded outcome.
LOST = Permanent(LOST_ON_LAST_ATTEMPT, reason="lease_expired")
LOST_DECISION = Decision(State.DEAD, error=LOST_ON_LAST_ATTEMPT, finished=True)


async def list_deliveries(
    queue: DeliveryQueue, f: DeliveryFilter, *, limit: int = 100, before_id: int | None = None
) -> list[Delivery]:
    """Newest first; page with ``before_id`` (the last id of the previous page)."""
    stmt = select(D).where(*conditions(f)).order_by(D.c.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(D.c.id < before_id)
    async with queue.db.read() as conn:
        rows = (await conn.execute(stmt)).all()
    return [Delivery.from_row(r) for r in rows]


async def count_dead(queue: DeliveryQueue, f: DeliveryFilter) -> int:
    """How many dead letters match ``f`` (what a bulk replay is about to do)."""
    f = dataclasses.replace(f, state=State.DEAD)
    async with queue.db.read() as conn:
        found = await conn.scalar(select(func.count()).select_from(D).where(*conditions(f)))
    return int(found or 0)


async def replay(
    queue: DeliveryQueue, f: DeliveryFilter, on_batch: Callable[[int], None] | None = None
) -> int:
    """Put dead letters matching ``f`` back in the queue with fresh attempts.

    Works in batches so a bulk replay of many dead letters never holds the write
    lock for long; ``on_batch`` hears each batch's count (a progress bar); returns how
    many were replayed.
    """
    f = dataclasses.replace(f, state=State.DEAD)
    replayed = 0
    while True:
        now = queue.clock.now()
        batch = select(D.c.id).where(*conditions(f)).order_by(D.c.id).limit(REPLAY_BATCH)
        async with queue.db.write() as conn:
            result = await conn.execute(
                update(D)
                .where(D.c.id.in_(batch), D.c.state == State.DEAD)
                .values(state=State.PENDING, attempts=0, run_at=now, finished_at=None)
            )
            count = int(result.rowcount)
            if count:
                await queue.announce(conn)
        replayed += count
        if on_batch is not None and count:
            on_batch(count)
        if count < REPLAY_BATCH:
            break
    if replayed:
        queue.wakeup.work_arrived()
    return replayed


async def rescue_expired(queue: DeliveryQueue, *, except_holder: str | None = None) -> int:
    """Put deliveries whose lease ran out (their worker died) back in the queue.

    The attempt the dead worker made still counts, so a delivery that crashes its
    worker every time ends in the dead-letter state instead of looping forever. A worker
    passes its own id as ``except_holder``: its own claims are still being sent (a
    stalled event loop let the leases lapse), and rescuing them would send them twice.
    """
    now = queue.clock.now()
    exhausted = D.c.attempts >= D.c.max_attempts
    mine = [] if except_holder is None else [D.c.locked_by != except_holder]
    async with queue.db.write() as conn:
        result = await conn.execute(
            update(D)
            .where(D.c.state == State.RUNNING, D.c.locked_until < now, *mine)
            .values(
                state=case((exhausted, State.DEAD.value), else_=State.PENDING.value),
                finished_at=case((exhausted, now), else_=None),
                last_error=case((exhausted, LOST_ON_LAST_ATTEMPT), else_=LOST_AND_RETRYING),
                locked_until=None,
                locked_by=None,
            )
            .returning(*D.c)
        )
        rows = result.all()
        rescued = len(rows)
        if rescued:
            await queue.announce(conn)
        if queue.on_outcomes is not None:
            dead = [Delivery.from_row(r) for r in rows if r.state == State.DEAD]
            await queue.on_outcomes(conn, [(Result(d, LOST), LOST_DECISION) for d in dead], now)
    if rescued:
        queue.wakeup.work_arrived()
    return rescued


async def prune_sent(queue: DeliveryQueue, retention: timedelta) -> int:
    """Delete sent (and cancelled) deliveries older than ``retention``, in batches;
    dead letters stay until replayed."""
    cutoff = queue.clock.now() - retention
    pruned = 0
    while True:
        batch = (
            select(D.c.id)
            .where(
                D.c.state.in_([State.SENT, State.CANCELLED, State.SKIPPED]),
                D.c.finished_at < cutoff,
            )
            .limit(PRUNE_BATCH)
        )
        async with queue.db.write() as conn:
            count = int((await conn.execute(delete(D).where(D.c.id.in_(batch)))).rowcount)
        pruned += count
        if count < PRUNE_BATCH:
            return pruned


@dataclasses.dataclass(frozen=True, slots=True)
class Activity:
    """What happened in a recent window: the dashboard's send rate and error count."""

    window: timedelta
    sent: int
    dead: int
    retrying: int  # pending again after a failed attempt (a replay starts at 0 attempts)

    @property
    def sent_per_minute(self) -> float:
        return self.sent / (self.window.total_seconds() / 60)


async def activity(queue: DeliveryQueue, window: timedelta = timedelta(hours=1)) -> Activity:
    since = queue.clock.now() - window
    async with queue.db.read() as conn:
        done: dict[str, int] = dict(
            (
                await conn.execute(
                    select(D.c.state, func.count())
                    .where(D.c.state.in_([State.SENT, State.DEAD]), D.c.finished_at >= since)
                    .group_by(D.c.state)
                )
            ).all()
        )
        retrying = await conn.scalar(
            select(func.count()).where(failed_and_waiting(), D.c.attempts > 0)
        )
    return Activity(
        window,
        sent=int(done.get(State.SENT.value, 0)),
        dead=int(done.get(State.DEAD.value, 0)),
        retrying=int(retrying or 0),
    )


async def stats(queue: DeliveryQueue) -> QueueStats:
    now = queue.clock.now()
    async with queue.db.read() as conn:
        rows = (
            await conn.execute(
                select(D.c.lane, D.c.state, func.count()).group_by(D.c.lane, D.c.state)
            )
        ).all()
        oldest = await conn.scalar(
            select(func.min(D.c.run_at)).where(D.c.state == State.PENDING, D.c.run_at <= now)
        )
    counts = {(Lane(lane).label, state): int(n) for lane, state, n in rows}
    age = (now - oldest).total_seconds() if oldest is not None else None
    return QueueStats(counts=counts, oldest_waiting_seconds=age)
