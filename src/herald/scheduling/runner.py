"""Claim a schedule's due slot and post it: exactly once, whichever process asks.

Everything a run decides happens in one write transaction: the schedule row is read
under lock, the slot is claimed by inserting the unique ``(schedule_id, slot_at)`` run
row, the rotation moves on, and one delivery per active chat is queued in the campaign
lane together with its post-log row. Either all of it commits or none of it does, so
a crash never leaves a slot claimed with nothing posted, nor posted twice. A process
that loses the race finds the slot taken (or the schedule already moved on) and does
nothing.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.channel import Channel
from herald.clock import Clock
from herald.db import Database
from herald.db.tables import (
    content,
    deliveries,
    schedule_chats,
    schedule_posts,
    schedule_runs,
    schedules,
)
from herald.metrics import Metrics
from herald.queue import DeliveryQueue, Lane, NewDelivery
from herald.scheduling.cadence import plan
from herald.scheduling.content import ContentItem, Kind
from herald.scheduling.invites import InviteLinks, Link, links_for, missing_reason
from herald.scheduling.post import ButtonSigner, render_post, tracks_links
from herald.scheduling.schedules import (
    ChatTarget,
    Schedule,
    ScheduleChat,
    ScheduleKind,
    locked,
)
from herald.scheduling.variants import assign, name

log = structlog.get_logger("herald.scheduling")

CAMPAIGN_PREFIX = "schedule:"


@dataclass(frozen=True, slots=True)
class RunResult:
    run_id: int
    status: str  # queued, skipped, empty, no_chats
    content_id: int | None = None
    chats: int = 0


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def schedule_campaign(schedule_id: int) -> str:
    """The deliveries' ``campaign`` tag, so the queue's filters find a schedule's posts."""
    return f"{CAMPAIGN_PREFIX}{schedule_id}"


class SlotRunner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        queue: DeliveryQueue,
        signer: ButtonSigner,
        metrics: Metrics,
        *,
        grace: timedelta,
        holder: str | None = None,
        public_url: str | None = None,
        invites: InviteLinks | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._queue = queue
        self._signer = signer
        self._metrics = metrics
        self._grace = grace
        self._holder = holder or default_holder()
        self._public_url = public_url
        self._invites = invites

    async def _prepare(self, schedule_id: int, *, due_only: bool) -> None:
        """Make the invite links the next item's join buttons need, before the run's
        transaction (a Bot API call must not hold the write lock)."""
        if self._invites is None:
            return
        async with self._db.read() as conn:
            schedule = await _locked_schedule(conn, schedule_id, lock=False)
            if schedule is None or not schedule.active_chats:
                return
            due = schedule.next_slot_at is not None and schedule.next_slot_at <= self._clock.now()
            if due_only and not (schedule.enabled and due):
                return
            playlist = await _playlist(conn, schedule)
        if playlist:
            item = playlist[schedule.position % len(playlist)]
            await self._invites.prepare(item, [c.chat_id for c in schedule.active_chats])

    async def run_due(self, schedule_id: int) -> RunResult | None:
        """Post the schedule's due slot if it has one and nobody took it; else None."""
        await self._prepare(schedule_id, due_only=True)
        now = self._clock.now()
        async with self._db.write() as conn:
            schedule = await _locked_schedule(conn, schedule_id)
            if schedule is None or not schedule.enabled or schedule.next_slot_at is None:
                return None
            decided = plan(
                schedule.cadence, schedule.anchor_at, schedule.next_slot_at, now, self._grace
            )
            if decided is None:
                return None
            await conn.execute(
                update(schedules)
                .where(schedules.c.id == schedule_id)
                .values(next_slot_at=decided.next_slot)
            )
            if decided.slot is None:
                result = await self._skip(conn, schedule, decided.latest_missed or now, now)
            else:
                if decided.missed:
                    log.warning(
                        "schedule_slots_missed",
                        schedule=schedule.name,
                        missed=decided.missed,
                        posting_late=decided.slot.isoformat(),
                    )
                trigger = "start" if decided.slot == schedule.anchor_at else "scheduled"
                result = await self._post(conn, schedule, decided.slot, trigger, now)
        self._announce(result)
        return result

    async def run_now(self, schedule_id: int) -> RunResult | None:
        """Post the next item now, outside the cadence (``POST /schedules/{id}/run``)."""
        await self._prepare(schedule_id, due_only=False)
        now = self._clock.now()
        async with self._db.write() as conn:
            schedule = await _locked_schedule(conn, schedule_id)
            if schedule is None:
                return None
            result = await self._post(conn, schedule, None, "manual", now)
        self._announce(result)
        return result

    async def playlist(self, schedule: Schedule) -> list[ContentItem]:
        """What the schedule rotates through, in order (for status and previews)."""
        async with self._db.read() as conn:
            return await _playlist(conn, schedule)

    def _announce(self, result: RunResult | None) -> None:
        if result is not None and result.chats:
            self._queue.wakeup.work_arrived()

    async def _claim(
        self,
        conn: AsyncConnection,
        schedule: Schedule,
        slot: datetime | None,
        trigger: str,
        status: str,
    ) -> int | None:
        """The unique run row: None when another process claimed this slot first.

        A manual run (``slot`` None) claims no slot: it never collides with another
        manual run nor takes the place of a scheduled one.
        """
        t = schedule_runs
        if slot is not None:
            exists = await conn.scalar(
                select(t.c.id).where(t.c.schedule_id == schedule.id, t.c.slot_at == slot)
            )
            if exists is not None:
                return None
        run_id = await conn.scalar(
            insert(t)
            .values(
                schedule_id=schedule.id,
                slot_at=slot,
                trigger=trigger,
                status=status,
                claimed_by=self._holder,
                created_at=self._clock.now(),
            )
            .returning(t.c.id)
        )
        return int(run_id) if run_id is not None else None

    async def _skip(
        self, conn: AsyncConnection, schedule: Schedule, slot: datetime, now: datetime
    ) -> RunResult | None:
        late = (now - slot).total_seconds()
        run_id = await self._claim(conn, schedule, slot, "scheduled", "skipped")
        if run_id is None:
            return None
        detail = (
            f"missed while no process was running: {late:.0f} s late, "
            f"beyond the grace period of {self._grace.total_seconds():.0f} s"
        )
        await self._finish(conn, schedule, run_id, slot, "skipped", detail)
        log.warning("schedule_slot_skipped", schedule=schedule.name, slot=slot.isoformat())
        return RunResult(run_id, "skipped")

    async def _post(
        self,
        conn: AsyncConnection,
        schedule: Schedule,
        slot: datetime | None,
        trigger: str,
        now: datetime,
    ) -> RunResult | None:
        run_id = await self._claim(conn, schedule, slot, trigger, "queued")
        if run_id is None:
            return None
        playlist = await _playlist(conn, schedule)
        if not playlist:
            await self._finish(conn, schedule, run_id, slot, "empty", "the playlist is empty")
            _log_once(schedule, "empty", "schedule_playlist_empty")
            return RunResult(run_id, "empty")
        chats = schedule.active_chats
        if not chats:
            await self._finish(conn, schedule, run_id, slot, "no_chats", "no active chats")
            _log_once(schedule, "no_chats", "schedule_has_no_chats")
            return RunResult(run_id, "no_chats")
        index = schedule.position % len(playlist)
        item = playlist[index]
        variants = await _variants(conn, item, chats)
        targets = item.join_targets
        stored = await links_for(conn, item.id, targets, [c.chat_id for c in chats])
        links = {
            (target, chat): stored.get((target, chat.chat_id, variants[chat] or ""))
            for chat in chats
            for target in targets
        }
        failed = {
            chat: missing_reason(target, links[target, chat])
            for chat in chats
            for target in targets
            if _missing(links[target, chat])
        }
        options = schedule.options.over(item.options)
        keys = {chat: post_key(run_id, chat) for chat in chats if chat not in failed}
        rendered: dict[tuple[str | None, str], dict[str, Any]] = {}
        payloads: dict[ChatTarget, dict[str, Any]] = {}
        per_chat = bool(targets) or tracks_links(item, self._public_url)
        for chat in keys:
            # one payload per variant, and per chat posted in when it has invite links
            # or tracked links (both name the chat; tracked links the run as well)
            shown = (variants[chat], chat.chat_id if per_chat else "")
            if shown not in rendered:
                joins = {t: str(_url(links[t, chat])) for t in targets}
                rendered[shown] = render_post(
                    item,
                    self._signer,
                    self._public_url,
                    options,
                    variants[chat],
                    joins,
                    chat.chat_id if per_chat else None,
                    run_id if per_chat else None,
                )
            payloads[chat] = rendered[shown]
        await self._queue.enqueue_in(
            conn,
            [
                NewDelivery(
                    channel=Channel.TELEGRAM,
                    recipient=chat.chat_id,
                    payload=_to_topic(payloads[chat], chat),
                    lane=Lane.CAMPAIGN,
                    campaign=schedule_campaign(schedule.id),
                    idempotency_key=key,
                )
                for chat, key in keys.items()
            ],
        )
        ids = dict(
            (
                await conn.execute(
                    select(deliveries.c.idempotency_key, deliveries.c.id).where(
                        deliveries.c.idempotency_key.in_(list(keys.values()))
                    )
                )
            ).all()
        )
        await conn.execute(
            insert(schedule_posts),
            [
                {
                    "run_id": run_id,
                    "chat_id": chat.chat_id,
                    "topic_id": chat.stored_topic,
                    "delivery_id": ids[keys[chat]] if chat in keys else None,
                    "status": "queued" if chat in keys else "failed",
                    "error": failed.get(chat),
                    "updated_at": now,
                    "variant": variants[chat],
                }
                for chat in chats
            ],
        )
        done = {} if keys else {"status": "done", "failed": len(failed), "finished_at": now}
        await conn.execute(
            update(schedule_runs)
            .where(schedule_runs.c.id == run_id)
            .values(
                content_id=item.id,
                content_kind=item.kind.value,
                position=index,
                chats=len(chats),
                **done,
            )
        )
        if failed:
            log.warning("schedule_posts_without_invite_link", run_id=run_id, chats=len(failed))
        await conn.execute(
            update(schedules)
            .where(schedules.c.id == schedule.id)
            .values(
                position=(index + 1) % len(playlist),
                last_slot_at=slot or now,
                last_result={
                    "run_id": run_id,
                    "status": "queued",
                    "content_id": item.id,
                    "title": item.title,
                    "chats": len(chats),
                },
            )
        )
        log.info(
            "schedule_posted",
            schedule=schedule.name,
            run_id=run_id,
            trigger=trigger,
            content_id=item.id,
            chats=len(chats),
        )
        return RunResult(run_id, "queued", item.id, len(chats))

    async def _finish(
        self,
        conn: AsyncConnection,
        schedule: Schedule,
        run_id: int,
        slot: datetime | None,
        status: str,
        detail: str,
    ) -> None:
        now = self._clock.now()
        await conn.execute(
            update(schedule_runs)
            .where(schedule_runs.c.id == run_id)
            .values(status=status, detail=detail, finished_at=now)
        )
        await conn.execute(
            update(schedules)
            .where(schedules.c.id == schedule.id)
            .values(
                last_slot_at=slot or now,
                last_result={"run_id": run_id, "status": status, "detail": detail},
            )
        )


def post_key(run_id: int, chat: ChatTarget) -> str:
    """The delivery's idempotency key: one post per run, chat and topic."""
    topic = f":{chat.topic_id}" if chat.topic_id else ""
    return f"post:{run_id}:{chat.chat_id}{topic}"


async def _variants(
    conn: AsyncConnection, item: ContentItem, chats: list[ChatTarget]
) -> dict[ChatTarget, str | None]:
    """Which variant each chat's post shows (None for all when no test is running).

    The round is how many runs posted the item since its test started, read in this
    run's transaction. Two schedules posting the same promo at the same instant on
    PostgreSQL may read the same round: both then show each chat the same variant,
    which shifts the balance by one post and nothing else.
    """
    test = item.testing
    if test is None:
        return dict.fromkeys(chats)
    r = schedule_runs
    round_ = await conn.scalar(
        select(func.count()).where(r.c.content_id == item.id, r.c.created_at >= test.started_at)
    )
    count = len(test.variants)
    return {
        chat: name(assign(f"{chat.chat_id}:{chat.stored_topic}", int(round_ or 0), count))
        for chat in chats
    }


def _missing(link: Link | None) -> bool:
    return link is None or link.url is None


def _url(link: Link | None) -> str | None:
    return link.url if link is not None else None


def _to_topic(payload: dict[str, Any], chat: ChatTarget) -> dict[str, Any]:
    return payload if not chat.topic_id else {**payload, "message_thread_id": chat.topic_id}


def _log_once(schedule: Schedule, status: str, event: str) -> None:
    """Say it when it starts, not at every slot while it lasts."""
    previous = (schedule.last_result or {}).get("status")
    if previous != status:
        log.warning(event, schedule=schedule.name)


async def _locked_schedule(
    conn: AsyncConnection, schedule_id: int, *, lock: bool = True
) -> Schedule | None:
    query = select(schedules).where(schedules.c.id == schedule_id)
    row = (await conn.execute(locked(conn, query) if lock else query)).first()
    if row is None:
        return None
    c = schedule_chats
    chats = (
        await conn.execute(
            select(c.c.chat_id, c.c.topic_id)
            .where(c.c.schedule_id == schedule_id, c.c.active.is_(True))
            .order_by(c.c.id)
        )
    ).all()
    at = row.updated_at
    return Schedule.from_row(
        row, [ScheduleChat(r.chat_id, True, None, at, at, r.topic_id or None) for r in chats]
    )


async def _playlist(conn: AsyncConnection, schedule: Schedule) -> list[ContentItem]:
    """The items a schedule rotates through, read in the run's own transaction."""
    query = select(content).where(content.c.enabled.is_(True)).order_by(content.c.id)
    if schedule.kind is ScheduleKind.PLAYLIST:
        rows = (await conn.execute(query.where(content.c.id.in_(schedule.items)))).all()
        by_id = {int(r.id): ContentItem.from_row(r) for r in rows}
        return [by_id[i] for i in schedule.items if i in by_id]
    kind = Kind.GUIDE if schedule.kind is ScheduleKind.GUIDES else Kind.PROMO
    rows = (await conn.execute(query.where(content.c.kind == kind.value))).all()
    return [ContentItem.from_row(r) for r in rows]
