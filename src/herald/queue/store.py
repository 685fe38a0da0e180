"""The durable delivery queue: enqueue, claim, lease and record outcomes.

Shaped after River and Oban. Claiming is one ``UPDATE ... RETURNING`` over the
first eligible ids; on PostgreSQL the selection is a CTE with ``FOR UPDATE SKIP
LOCKED``. Per-key exclusivity (one in-flight delivery per ordering key) needs every
claimer to see the others' committed claims, which READ COMMITTED with SKIP LOCKED
alone does not give, so claims of one channel take a short transaction-scoped
advisory lock first; the partial unique index ``ux_deliveries_running_key`` makes
the database itself refuse a second running row per key. On SQLite, ``BEGIN
IMMEDIATE`` serializes writers and the same statement runs without the lock clause.
"""

from __future__ import annotations

import functools
import itertools
import json
import random
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    JSON,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import deliveries
from herald.queue import bulk
from herald.queue.models import Delivery, NewDelivery, State
from herald.queue.outcomes import Outcome
from herald.queue.policy import Decision, RetryPolicy, decide
from herald.queue.room import RecipientRoom
from herald.queue.wakeup import CHANNEL as NOTIFY_CHANNEL
from herald.queue.wakeup import Wakeup

D = deliveries
_CLAIM_LOCK_SQL = text("SELECT pg_advisory_xact_lock(hashtext(:name))")


@dataclass(frozen=True, slots=True)
class Result:
    """A finished send: the claimed delivery and what came of it."""

    delivery: Delivery
    outcome: Outcome


class OutcomesHook(Protocol):
    """What must commit with recorded outcomes (the events of deliveries that ended),
    called inside their transaction with the outcomes it applied and their time; a
    failure rolls the outcomes back with it. The runtime wires it; the queue knows no
    events."""

    async def __call__(
        self,
        conn: AsyncConnection,
        outcomes: Sequence[tuple[Result, Decision]],
        now: datetime,
    ) -> None: ...


class OutcomesHooks:
    """Several outcome hooks as one, in order, in the same transaction."""

    def __init__(self, *hooks: OutcomesHook) -> None:
        self._hooks = hooks

    async def __call__(
        self,
        conn: AsyncConnection,
        outcomes: Sequence[tuple[Result, Decision]],
        now: datetime,
    ) -> None:
        for hook in self._hooks:
            await hook(conn, outcomes, now)


@dataclass(frozen=True, slots=True)
class Enqueued:
    id: int
    created: bool  # False when the idempotency key already existed


class DeliveryQueue:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        policies: Mapping[str, RetryPolicy] | None = None,
        wakeup: Wakeup | None = None,
        lease_seconds: float = 60.0,
        chunk_size: int = 1000,
        rand: Callable[[], float] = random.random,
        on_outcomes: OutcomesHook | None = None,
    ) -> None:
        self.db = db
        self.on_outcomes = on_outcomes
        self.clock = clock
        self.policies = dict(policies or {})
        self.wakeup = wakeup or Wakeup()
        self.lease = timedelta(seconds=lease_seconds)
        self.chunk_size = chunk_size
        self._rand = rand

    def policy(self, channel: str) -> RetryPolicy:
        return self.policies.get(channel, RetryPolicy())

    # -- enqueue ---------------------------------------------------------------

    def _row(self, new: NewDelivery, now: datetime) -> dict[str, Any]:
        return {
            "lane": int(new.lane),
            "channel": new.channel,
            "recipient": new.recipient,
            "ordering_key": new.key(),
            "payload": new.payload,
            "state": State.PENDING.value,
            "attempts": 0,
            "max_attempts": new.max_attempts or self.policy(new.channel).max_attempts,
            "run_at": new.run_at or now,
            "idempotency_key": new.idempotency_key,
            "campaign": new.campaign,
            "created_at": now,
            "notification_id": new.notification_id,
        }

    def _insert(self) -> Any:
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        return insert(D).on_conflict_do_nothing(index_elements=["idempotency_key"])

    async def enqueue(self, new: NewDelivery) -> Enqueued:
        """Queue one delivery; with an idempotency key, a repeat returns the first id."""
        async with self.db.write() as conn:
            enqueued = await self.enqueue_one_in(conn, new)
        if enqueued.created:
            self.wakeup.work_arrived([new.channel])
        return enqueued

    async def enqueue_one_in(self, conn: AsyncConnection, new: NewDelivery) -> Enqueued:
        """``enqueue`` inside the caller's transaction; call ``wakeup.work_arrived()``
        after the commit when the delivery was created."""
        row = (
            await conn.execute(
                self._insert().values(self._row(new, self.clock.now())).returning(D.c.id)
            )
        ).first()
        if row is None:
            existing = await conn.scalar(
                select(D.c.id).where(D.c.idempotency_key == new.idempotency_key)
            )
            assert existing is not None  # the conflict that skipped the insert
            return Enqueued(int(existing), created=False)
        await self.announce(conn)
        return Enqueued(int(row.id), created=True)

    async def enqueue_many(self, items: Iterable[NewDelivery]) -> int:
        """Queue deliveries in chunks of multi-row INSERTs; returns how many were new.

        The iterable is consumed lazily, so a 100k campaign never sits in memory.
        Each chunk commits on its own, so workers start while the rest is queued;
        give campaign deliveries idempotency keys to make a retried enqueue safe.
        """
        created = 0
        iterator = iter(items)
        while chunk := list(itertools.islice(iterator, self.chunk_size)):
            now = self.clock.now()
            rows = [self._row(new, now) for new in chunk]
            async with self.db.write() as conn:
                created += await bulk.insert_rows(conn, rows)
                await self.announce(conn)
            self.wakeup.work_arrived({new.channel for new in chunk})
        return created

    async def enqueue_in(
        self,
        conn: AsyncConnection,
        items: Sequence[NewDelivery],
        ids: Sequence[int] | None = None,
    ) -> int:
        """Queue ``items`` inside the caller's transaction (committed with the rest of it).

        For callers whose own rows must exist if and only if the deliveries do (a
        claimed schedule slot and its posts; notifications and their first deliveries,
        which pass the ``ids`` they reserved with ``herald.db.bulk.reserve_ids``). Call
        ``wakeup.work_arrived()`` after the commit; other processes are told by the
        commit itself.
        """
        if not items:
            return 0
        now = self.clock.now()
        rows = [self._row(new, now) for new in items]
        if ids is not None:
            for row, id_ in zip(rows, ids, strict=True):
                row["id"] = id_
        created = await bulk.insert_rows(conn, rows)
        await self.announce(conn)
        return created

    async def announce(self, conn: AsyncConnection) -> None:
        """Tell other processes' workers (inside ``conn``'s transaction) that work is due."""
        if self.db.dialect == "postgresql":
            await conn.execute(text("SELECT pg_notify(:c, '')"), {"c": NOTIFY_CHANNEL})

    # -- claim -----------------------------------------------------------------

    async def claim(
        self,
        channel: str,
        limit: int,
        worker: str,
        exclude_keys: Collection[str] = (),
        *,
        lanes: Collection[int] | None = None,
        recipients: RecipientRoom | None = None,
        annotate: ColumnElement[Any] | None = None,
    ) -> list[Delivery]:
        """Lease up to ``limit`` due deliveries of ``channel``, at most one per ordering key,
        skipping ``exclude_keys`` (recipients the dispatcher must not send to right now);
        only of ``lanes`` when given; with ``recipients``, none of a recipient without
        room and at most its room of any other (queue/room.py). ``annotate``, an SQL
        expression over the ``deliveries`` row (built once: it keys the statement's
        cache), is computed for each claimed row and returned as its ``annotation``: the
        dispatch gate learns what it needs with the claim, not a round trip after it."""
        if limit <= 0 or (lanes is not None and not lanes):
            return []
        now = self.clock.now()
        dialect = self.db.dialect
        by_recipient = recipients is not None
        stmt = _claim_statement(
            dialect, bool(exclude_keys), lanes is not None, by_recipient, annotate
        )
        params: dict[str, Any] = {
            "claim_channel": channel,
            "claim_now": now,
            "scan": limit * 2,
            "take": limit,
            "lease_until": now + self.lease,
            "claimer": worker,
        }
        if exclude_keys:
            # One parameter however many keys: a list of a thousand recently sent chats
            # as a thousand bound parameters cost milliseconds of Python per claim.
            keys = list(exclude_keys)
            params["excluded"] = keys if dialect == "postgresql" else json.dumps(keys)
        if lanes is not None:
            params["claim_lanes"] = sorted(int(lane) for lane in lanes)
        if recipients is not None:
            full = recipients.full()
            params["full_recipients"] = full if dialect == "postgresql" else json.dumps(full)
            params["recipient_room"] = json.dumps(recipients.partial())
            params["default_room"] = recipients.default
        async with self.db.write() as conn:
            if dialect == "postgresql":
                await conn.execute(_CLAIM_LOCK_SQL, {"name": f"herald.claim.{channel}"})
            rows = (await conn.execute(stmt, params)).all()
        claimed = sorted((Delivery.from_row(r) for r in rows), key=_fifo)
        return claimed

    async def extend_leases(self, ids: Sequence[int], worker: str) -> None:
        if not ids:
            return
        until = self.clock.now() + self.lease
        async with self.db.write() as conn:
            await conn.execute(
                update(D)
                .where(D.c.id.in_(ids), D.c.state == State.RUNNING, D.c.locked_by == worker)
                .values(locked_until=until)
            )

    async def release(self, ids: Sequence[int], worker: str) -> None:
        """Give claimed deliveries back untried (shutdown); the attempt is not spent."""
        if not ids:
            return
        async with self.db.write() as conn:
            await conn.execute(
                update(D)
                .where(D.c.id.in_(ids), D.c.state == State.RUNNING, D.c.locked_by == worker)
                .values(
                    state=State.PENDING,
                    attempts=D.c.attempts - 1,
                    locked_until=None,
                    locked_by=None,
                )
            )
            await self.announce(conn)

    async def hold(
        self,
        worker: str,
        *,
        deferred: Mapping[int, tuple[datetime, str]] | None = None,
        skipped: Mapping[int, str] | None = None,
    ) -> None:
        """Claimed deliveries the dispatch gate held back, untried (the attempt is not
        spent): ``deferred`` back to pending at their new run_at with the reason in
        last_error (it starts with DEFERRED: not counted as a failure), ``skipped`` to
        the terminal ``skipped`` state with the reason. One statement per distinct value."""
        deferred, skipped = deferred or {}, skipped or {}
        if not deferred and not skipped:
            return
        mine = (D.c.state == State.RUNNING, D.c.locked_by == worker)
        untried = {"attempts": D.c.attempts - 1, "locked_until": None, "locked_by": None}
        now = self.clock.now()
        async with self.db.write() as conn:
            for (run_at, reason), ids in _grouped(deferred).items():
                await conn.execute(
                    update(D)
                    .where(D.c.id.in_(ids), *mine)
                    .values(state=State.PENDING, run_at=run_at, last_error=reason, **untried)
                )
            for reason, ids in _grouped(skipped).items():
                await conn.execute(
                    update(D)
                    .where(D.c.id.in_(ids), *mine)
                    .values(state=State.SKIPPED, last_error=reason, finished_at=now, **untried)
                )

    # -- outcomes --------------------------------------------------------------

    async def record(self, results: Sequence[Result], worker: str) -> list[Decision]:
        """Apply many outcomes in one transaction; returns the decision for each.

        A row whose lease expired and was rescued (and maybe re-claimed) is left
        alone: the other claimer's outcome is the one that counts.
        """
        if not results:
            return []
        now = self.clock.now()
        decisions = [
            decide(
                r.outcome,
                attempts=r.delivery.attempts,
                max_attempts=r.delivery.max_attempts,
                policy=self.policy(r.delivery.channel),
                now=now,
                rand=self._rand,
            )
            for r in results
        ]
        updates = [
            bulk.OutcomeUpdate(
                id=r.delivery.id,
                state=decision.state.value,
                run_at=decision.run_at or r.delivery.run_at,
                attempts_delta=decision.attempts_delta,
                error=decision.error,
                provider_message_id=decision.provider_message_id,
                finished_at=now if decision.finished else None,
            )
            for r, decision in zip(results, decisions, strict=True)
        ]
        async with self.db.write() as conn:
            applied = await bulk.update_outcomes(conn, updates, worker)
            if any(decision.state is State.PENDING for decision in decisions):
                await self.announce(conn)
            if self.on_outcomes is not None:
                pairs = zip(results, decisions, strict=True)
                await self.on_outcomes(
                    conn, [(r, d) for r, d in pairs if r.delivery.id in applied], now
                )
        return decisions

    async def get(self, delivery_id: int) -> Delivery | None:
        async with self.db.read() as conn:
            row = (await conn.execute(select(D).where(D.c.id == delivery_id))).first()
        return Delivery.from_row(row) if row else None


def _fifo(d: Delivery) -> tuple[int, datetime, int]:
    return (int(d.lane), d.run_at, d.id)


def _json_values(dialect: str, name: str) -> Any:
    """The strings of a bound list: an array on PostgreSQL, a JSON array on SQLite."""
    if dialect == "postgresql":
        return select(func.unnest(bindparam(name, type_=ARRAY(String))))
    return select(column("value")).select_from(func.json_each(bindparam(name)))


def _json_room(dialect: str) -> Any:
    """The bound ``{recipient: room}`` object as rows (key, value)."""
    if dialect == "postgresql":
        rooms = func.json_each_text(cast(bindparam("recipient_room", type_=String), JSON))
    else:
        rooms = func.json_each(bindparam("recipient_room"))
    return rooms.table_valued("key", "value").alias("room")


@functools.cache
def _claim_statement(
    dialect: str,
    exclude: bool,
    by_lane: bool,
    by_recipient: bool,
    annotate: ColumnElement[Any] | None = None,
) -> Any:
    """The claim, built once per shape; everything that varies is a bound parameter."""
    running = D.alias("running")
    # NOT IN over an uncorrelated subquery: the set of busy keys is read once per
    # claim (a hashed SubPlan on PostgreSQL, an ephemeral index on SQLite). A
    # correlated NOT EXISTS let PostgreSQL's planner, once the table had statistics,
    # re-scan every running row (and the dead index entries a campaign leaves behind)
    # for each candidate: 50 ms claims instead of 5.
    busy_keys = select(running.c.ordering_key).where(
        running.c.state == State.RUNNING, running.c.ordering_key.is_not(None)
    )
    free: ColumnElement[bool] = D.c.ordering_key.not_in(busy_keys)
    if exclude:
        excluded = _json_values(dialect, "excluded")
        free = and_(free, D.c.ordering_key.not_in(excluded.scalar_subquery()))
    conditions = [
        D.c.state == State.PENDING,
        D.c.channel == bindparam("claim_channel"),
        D.c.run_at <= bindparam("claim_now"),
        or_(D.c.ordering_key.is_(None), free),
    ]
    if by_lane:
        conditions.append(D.c.lane.in_(bindparam("claim_lanes", expanding=True)))
    if by_recipient:  # before the scan's limit, so that others' work fills the batch
        full = _json_values(dialect, "full_recipients")
        conditions.append(D.c.recipient.not_in(full.scalar_subquery()))
    # Scan a little past the limit: rows sharing a key collapse to their first one.
    extra = [D.c.recipient] if by_recipient else []
    candidates = (
        select(D.c.id, D.c.ordering_key, D.c.lane, D.c.run_at, *extra)
        .where(*conditions)
        .order_by(D.c.lane, D.c.run_at, D.c.id)
        .limit(bindparam("scan", type_=Integer))
        .with_for_update(skip_locked=True)
        .cte("candidates")
    )
    key = func.coalesce(
        candidates.c.ordering_key, literal("#").concat(cast(candidates.c.id, String))
    )
    ranked = select(
        candidates.c.id,
        candidates.c.lane,
        candidates.c.run_at,
        *([candidates.c.recipient] if by_recipient else []),
        func.row_number()
        .over(partition_by=key, order_by=(candidates.c.lane, candidates.c.run_at, candidates.c.id))
        .label("rank"),
    ).subquery("ranked")
    first_per_key = (
        select(ranked.c.id)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.lane, ranked.c.run_at, ranked.c.id)
        .limit(bindparam("take", type_=Integer))
    )
    if by_recipient:
        first_per_key = _within_room(ranked, dialect)
    annotation = [] if annotate is None else [annotate.label("annotation")]
    return (
        update(D)
        .where(D.c.id.in_(first_per_key))
        .values(
            state=State.RUNNING,
            attempts=D.c.attempts + 1,
            locked_until=bindparam("lease_until", type_=D.c.locked_until.type),
            locked_by=bindparam("claimer", type_=String),
        )
        .returning(*D.c, *annotation)
    )


def _within_room(ranked: Any, dialect: str) -> Any:
    """The claim's ids when the recipients have a room: of the rows first of their key
    in ``ranked``, each recipient's first ones up to its room (the bound
    ``recipient_room``, else ``default_room``), oldest first, up to ``take``."""
    nth = func.row_number().over(
        partition_by=ranked.c.recipient, order_by=(ranked.c.lane, ranked.c.run_at, ranked.c.id)
    )
    firsts = (
        select(ranked.c.id, ranked.c.lane, ranked.c.run_at, ranked.c.recipient, nth.label("nth"))
        .where(ranked.c.rank == 1)
        .subquery("firsts")
    )
    room = _json_room(dialect)
    allowed = func.coalesce(cast(room.c.value, Integer), bindparam("default_room", type_=Integer))
    return (
        select(firsts.c.id)
        .select_from(firsts.outerjoin(room, room.c.key == firsts.c.recipient))
        .where(firsts.c.nth <= allowed)
        .order_by(firsts.c.lane, firsts.c.run_at, firsts.c.id)
        .limit(bindparam("take", type_=Integer))
    )


_V = TypeVar("_V", bound=Hashable)


def _grouped(values: Mapping[int, _V]) -> dict[_V, list[int]]:
    """Ids by their value, so each distinct value is one UPDATE."""
    out: dict[_V, list[int]] = {}
    for delivery_id, value in values.items():
        out.setdefault(value, []).append(delivery_id)
    return out
