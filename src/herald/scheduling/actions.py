"""What was done to a post after it was sent, and how it went, per chat and message.

A sent post's pin, unpin and timed delete (``effects.followups``), and the edits and
deletes an operator asks for later (``lifecycle``), are each one delivery plus one row
of ``schedule_post_actions``, written in the same transaction: the row exists if and
only if its delivery does. The row's ``request`` is the delivery's idempotency key, so
asking again for what is already queued adds neither. The worker's observer finishes
the row when its delivery ends (done, or failed with Telegram's description); its
periodic catch-up finishes what a crash in between left behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.db.tables import deliveries, schedule_post_actions
from herald.queue import DeliveryQueue, NewDelivery, State

# The outcome's meta fact an edit that changed nothing is Sent with (the sender's).
NOT_MODIFIED = "not_modified"


class Action(StrEnum):
    PIN = "pin"
    UNPIN = "unpin"
    DELETE = "delete"
    EDIT = "edit"


class ActionStatus(StrEnum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """One action on one message of a post, with the delivery that carries it out."""

    post_id: int
    run_id: int
    action: Action
    message_id: str
    delivery: NewDelivery

    @property
    def request(self) -> str:
        assert self.delivery.idempotency_key is not None
        return self.delivery.idempotency_key


@dataclass(frozen=True, slots=True)
class ActionEnd:
    """A delivery of an action that ended: done, or failed with ``detail``."""

    delivery_id: int
    done: bool
    detail: str | None


@dataclass(frozen=True, slots=True)
class ActionEntry:
    """An action as the post log shows it."""

    action: str
    message_id: str
    status: str
    detail: str | None
    delivery_id: int | None
    due_at: datetime
    updated_at: datetime


async def queue_actions(
    conn: AsyncConnection, queue: DeliveryQueue, planned: Sequence[PlannedAction], now: datetime
) -> int:
    """Queue the actions' deliveries and write their rows, in ``conn``'s transaction;
    returns how many were new (a request already made adds nothing)."""
    if not planned:
        return 0
    await queue.enqueue_in(conn, [p.delivery for p in planned])
    keys = [p.request for p in planned]
    d, a = deliveries, schedule_post_actions
    ids = dict(
        (
            await conn.execute(
                select(d.c.idempotency_key, d.c.id).where(d.c.idempotency_key.in_(keys))
            )
        ).all()
    )
    known = set((await conn.scalars(select(a.c.request).where(a.c.request.in_(keys)))).all())
    rows = [
        {
            "post_id": p.post_id,
            "run_id": p.run_id,
            "action": p.action.value,
            "request": p.request,
            "message_id": p.message_id,
            "status": ActionStatus.QUEUED.value,
            "delivery_id": ids.get(p.request),
            "due_at": p.delivery.run_at or now,
            "created_at": now,
            "updated_at": now,
        }
        for p in planned
        if p.request not in known
    ]
    if not rows:
        return 0
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(insert(a).on_conflict_do_nothing(index_elements=["request"]), rows)
    return len(rows)


async def finish_actions(
    conn: AsyncConnection, ends: Sequence[ActionEnd], now: datetime
) -> set[int]:
    """Finish the queued rows of these deliveries; returns the delivery ids that were
    actions (the rest are posts, or finished already)."""
    a = schedule_post_actions
    finished: set[int] = set()
    for end in ends:
        row = (
            await conn.execute(
                update(a)
                .where(a.c.delivery_id == end.delivery_id, a.c.status == ActionStatus.QUEUED)
                .values(
                    status=ActionStatus.DONE if end.done else ActionStatus.FAILED,
                    detail=end.detail,
                    updated_at=now,
                )
                .returning(a.c.id)
            )
        ).first()
        if row is not None:
            finished.add(end.delivery_id)
    return finished


async def ended_unfinished(conn: AsyncConnection, limit: int = 1000) -> list[ActionEnd]:
    """Actions still queued whose deliveries have ended (a crash between the two)."""
    a, d = schedule_post_actions, deliveries
    rows = (
        await conn.execute(
            select(d.c.id, d.c.state, d.c.last_error)
            .join(a, a.c.delivery_id == d.c.id)
            .where(
                a.c.status == ActionStatus.QUEUED,
                d.c.state.in_([State.SENT, State.DEAD, State.CANCELLED]),
            )
            .limit(limit)
        )
    ).all()
    return [
        ActionEnd(
            int(r.id),
            r.state == State.SENT,
            None if r.state == State.SENT else (r.last_error or str(r.state)),
        )
        for r in rows
    ]


async def actions_of_runs(
    conn: AsyncConnection, run_ids: Sequence[int]
) -> dict[int, list[ActionEntry]]:
    """Each post's actions (by post id), oldest first."""
    a = schedule_post_actions
    found: dict[int, list[ActionEntry]] = {}
    if not run_ids:
        return found
    rows = await conn.execute(select(a).where(a.c.run_id.in_(list(run_ids))).order_by(a.c.id))
    for r in rows:
        found.setdefault(int(r.post_id), []).append(_entry(r))
    return found


def _entry(r: Any) -> ActionEntry:
    return ActionEntry(
        r.action, r.message_id, r.status, r.detail, r.delivery_id, r.due_at, r.updated_at
    )
