"""What the worker's outcomes mean for scheduled posts: the post log, chats, metrics.

A post's row is finished (sent with its message id, or failed with the error) when its
delivery ends, and so is an action's row (``actions``: a pin, unpin, edit or delete).
``recorded`` does it right after the worker commits outcomes; the periodic ``maintain``
finishes whatever a crash in between left behind, reading the deliveries themselves, so
nothing depends on this observer having run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.channel import Channel
from herald.channels.telegram import (
    MEDIA,
    MEMBER_COUNT,
    MIGRATED_TO_CHAT_ID,
    NOT_MODIFIED,
    TelegramReason,
)
from herald.clock import Clock
from herald.db import Database
from herald.db.tables import deliveries, schedule_posts, schedule_runs, schedules
from herald.events import record
from herald.metrics import Metrics
from herald.queue import DeliveryQueue, Lane, NewDelivery, Permanent, Result, Sent, State
from herald.queue.policy import Decision
from herald.scheduling import reach
from herald.scheduling.actions import (
    Action,
    ActionEnd,
    PlannedAction,
    ended_unfinished,
    finish_actions,
    queue_actions,
)
from herald.scheduling.post import AFTERWARDS
from herald.scheduling.posted import first_message_id, message_ids, posted_messages
from herald.scheduling.run_events import run_finished
from herald.scheduling.runner import CAMPAIGN_PREFIX
from herald.scheduling.schedules import ScheduleStore

# Telegram reasons after which a chat gets no more posts until someone re-adds it.
CHAT_GONE = frozenset(
    {
        TelegramReason.BLOCKED,
        TelegramReason.KICKED,
        TelegramReason.DEACTIVATED,
        TelegramReason.CHAT_NOT_FOUND,
    }
)
log = structlog.get_logger("herald.scheduling")


@dataclass(frozen=True, slots=True)
class PostEnd:
    delivery_id: int
    sent: bool
    message_id: str | None
    error: str | None
    reason: str
    chat_id: str = ""
    campaign: str | None = None
    sent_at: datetime | None = None
    afterwards: dict[str, Any] = field(default_factory=dict)  # the post's pin and delete
    media: Sequence[int] = ()  # a media post's media ids (posted.py)


def followups(end: PostEnd) -> list[NewDelivery]:
    """The pin, unpin and delete of a sent post, each a delivery due at its time counted
    from when the post was sent; keyed by the post's delivery, so queued once. A media
    post's first message is pinned, and every message of it deleted."""
    ids = message_ids(end.message_id)
    if not (end.sent and end.afterwards and end.sent_at and ids):
        return []
    steps: list[tuple[str, float, int, dict[str, Any]]] = []
    if pin := end.afterwards.get("pin"):
        steps.append(("pin", 0.0, ids[0], {"disable_notification": not pin.get("notify")}))
        if pin.get("unpin_after_hours") is not None:
            steps.append(("unpin", float(pin["unpin_after_hours"]), ids[0], {}))
    if (hours := end.afterwards.get("delete_after_hours")) is not None:
        steps += [("delete", float(hours), message_id, {}) for message_id in ids]
    return [
        NewDelivery(
            channel=Channel.TELEGRAM,
            recipient=end.chat_id,
            payload={"action": action, "message_id": message_id, **extra},
            lane=Lane.CAMPAIGN,
            campaign=end.campaign,
            idempotency_key=f"{action}:{end.delivery_id}"
            + (f":{message_id}" if message_id != ids[0] else ""),
            run_at=end.sent_at + timedelta(hours=hours),
        )
        for action, hours, message_id, extra in steps
    ]


class PostingEffects:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        store: ScheduleStore,
        metrics: Metrics,
        queue: DeliveryQueue | None = None,
        *,
        count_members: bool = False,
    ) -> None:
        self._db = db
        self._clock = clock
        self._store = store
        self._metrics = metrics
        self._queue = queue  # for a post's pin, unpin and delete (None: none are queued)
        # Ask each chat's member count beside its posts (scheduling/reach.py): only with a
        # real bot, and a queue to ask through.
        self._count_members = count_members and queue is not None

    async def recorded(self, outcomes: Sequence[tuple[Result, Decision]]) -> None:
        ends = []
        counts: list[tuple[str, int]] = []
        actions: list[ActionEnd] = []
        for result, decision in outcomes:
            delivery, outcome = result.delivery, result.outcome
            if not (delivery.campaign or "").startswith(CAMPAIGN_PREFIX):
                continue
            if isinstance(outcome, Sent) and (new := outcome.meta.get(MIGRATED_TO_CHAT_ID)):
                moved = await self._store.migrate_chat(delivery.recipient, str(new))
                log.info("schedule_chat_migrated", old=delivery.recipient, new=str(new), n=moved)
            if (
                isinstance(outcome, Permanent)
                and outcome.reason in CHAT_GONE
                and await self._store.deactivate_chat(delivery.recipient, outcome.reason)
            ):
                log.warning(
                    "schedule_chat_inactive", chat_id=delivery.recipient, reason=outcome.reason
                )
            if delivery.payload.get("action") == MEMBER_COUNT:
                count = outcome.meta.get(MEMBER_COUNT) if isinstance(outcome, Sent) else None
                if isinstance(count, int):
                    counts.append((delivery.recipient, count))
                continue
            if decision.state is State.SENT:
                ends.append(
                    PostEnd(
                        delivery.id,
                        True,
                        decision.provider_message_id,
                        None,
                        "sent",
                        delivery.recipient,
                        delivery.campaign,
                        self._clock.now(),
                        delivery.payload.get(AFTERWARDS) or {},
                        delivery.payload.get(MEDIA) or (),
                    )
                )
                unchanged = isinstance(outcome, Sent) and outcome.meta.get(NOT_MODIFIED)
                actions.append(ActionEnd(delivery.id, True, unchanged or None))
            elif decision.state is State.DEAD:
                reason = getattr(outcome, "reason", "dead")
                ends.append(PostEnd(delivery.id, False, None, decision.error, reason))
                actions.append(ActionEnd(delivery.id, False, decision.error))
        if ends:
            await self._finish(ends, actions)
        if counts:
            now = self._clock.now()
            async with self._db.write() as conn:
                for chat_id, count in counts:
                    await reach.store(conn, chat_id, count, now)

    async def maintain(self) -> None:
        """Finish posts and actions whose deliveries ended while nobody was listening."""
        p, d = schedule_posts, deliveries
        async with self._db.read() as conn:
            actions = await ended_unfinished(conn)
            rows = (
                await conn.execute(
                    select(
                        d.c.id,
                        d.c.state,
                        d.c.provider_message_id,
                        d.c.last_error,
                        d.c.recipient,
                        d.c.campaign,
                        d.c.finished_at,
                        d.c.payload,
                    )
                    .join(p, p.c.delivery_id == d.c.id)
                    .where(
                        p.c.status == "queued",
                        d.c.state.in_([State.SENT, State.DEAD, State.CANCELLED]),
                    )
                    .limit(1000)
                )
            ).all()
        ends = [
            PostEnd(
                r.id,
                r.state == State.SENT,
                r.provider_message_id,
                r.last_error,
                "sent" if r.state == State.SENT else str(r.state),
                r.recipient,
                r.campaign,
                r.finished_at,
                (r.payload or {}).get(AFTERWARDS) or {},
                (r.payload or {}).get(MEDIA) or (),
            )
            for r in rows
        ]
        if ends or actions:
            await self._finish(ends, actions)

    async def _finish(self, ends: Sequence[PostEnd], actions: Sequence[ActionEnd]) -> None:
        """Finish the actions' rows and the posts' rows (queuing what follows a sent post)."""
        p, runs = schedule_posts, schedule_runs
        now = self._clock.now()
        touched: set[int] = set()
        async with self._db.write() as conn:
            done = await finish_actions(conn, actions, now)
            for end in ends:
                if end.delivery_id in done:
                    continue  # an action's delivery, not a post's
                row = (
                    await conn.execute(
                        update(p)
                        .where(p.c.delivery_id == end.delivery_id, p.c.status == "queued")
                        .values(
                            status="sent" if end.sent else "failed",
                            message_id=first_message_id(end.message_id),
                            messages=posted_messages(end.message_id, end.media),
                            error=end.error,
                            updated_at=now,
                        )
                        .returning(p.c.id, p.c.run_id)
                    )
                ).first()
                if row is None:
                    continue  # finished already (by the other path)
                touched.add(int(row.run_id))
                after = followups(end)
                if self._queue is not None and after:
                    planned = [
                        PlannedAction(
                            int(row.id),
                            int(row.run_id),
                            Action(new.payload["action"]),
                            str(new.payload["message_id"]),
                            new,
                        )
                        for new in after
                    ]
                    await queue_actions(conn, self._queue, planned, now)
                if self._count_members and end.sent:
                    members = await reach.attach(
                        conn, end.delivery_id, end.chat_id, end.campaign, now
                    )
                    if members is not None and self._queue is not None:
                        await self._queue.enqueue_in(conn, [members])
                run = (
                    await conn.execute(
                        select(runs.c.content_kind, runs.c.content_id).where(
                            runs.c.id == row.run_id
                        )
                    )
                ).one()
                self._count(run.content_kind, run.content_id, end)
            for run_id in touched:
                await self._summarize(conn, run_id, now)

    def _count(self, kind: str | None, content_id: int | None, end: PostEnd) -> None:
        if not end.sent:
            self._metrics.scheduled_post_failures.labels(kind or "unknown", end.reason).inc()
        elif kind == "promo":
            self._metrics.marketing_posts.labels(str(content_id)).inc()
        else:
            self._metrics.guides_posts.inc()

    async def _summarize(self, conn: AsyncConnection, run_id: int, now: datetime) -> None:
        """The run's counts (the platform's posted_to / failed); done when none is queued."""
        p, runs = schedule_posts, schedule_runs
        query = select(p.c.status, func.count()).where(p.c.run_id == run_id)
        rows = (await conn.execute(query.group_by(p.c.status))).all()
        counts: dict[str, int] = {str(status): int(n) for status, n in rows}
        done = not counts.get("queued")
        summary = {"posted_to": counts.get("sent", 0), "failed": counts.get("failed", 0)}
        values: dict[str, object] = dict(summary)
        if not done:
            await conn.execute(update(runs).where(runs.c.id == run_id).values(values))
            return
        finished = await conn.execute(
            update(runs)
            .where(runs.c.id == run_id, runs.c.status != "done")
            .values({**values, "status": "done", "finished_at": now})
        )
        if finished.rowcount:  # done now, not by the other path before
            await record(conn, [await run_finished(conn, run_id, now)])
        schedule_id, last = (
            await conn.execute(
                select(runs.c.schedule_id, schedules.c.last_result)
                .join(schedules, schedules.c.id == runs.c.schedule_id)
                .where(runs.c.id == run_id)
            )
        ).one()
        if (last or {}).get("run_id") == run_id:
            await conn.execute(
                update(schedules)
                .where(schedules.c.id == schedule_id)
                .values(last_result={**last, **summary, "status": "done"})
            )
        log.info("schedule_run_done", run_id=run_id, **summary)
