"""Edit or delete a run's posts everywhere they were sent.

An edit re-renders the run's content item as it is now (with the schedule's options over
the item's, in the A/B variant each chat was shown) and queues, per chat where the run's
post was sent, the edits it needs (``edits.plan_edits``: one per message it changes);
a delete queues deleteMessage for each message of each post (an album's files and its
buttons message). Both are deliveries in the campaign lane (the queue's limits,
retries and dead letters) written in one transaction with their rows in the post log's
actions, so a restart loses none.

A request is idempotent: its key per post is the caller's ``request`` id, or else what
it asks (the edit's content; a delete) together with the last finished action of that
kind, so a double click while the first is queued adds nothing, and asking again after
it finished is a new request. A post deleted already (by a timed or asked-for delete) is
neither edited nor deleted again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.channel import Channel
from herald.clock import Clock
from herald.db import Database
from herald.db.tables import content, deliveries, schedule_post_actions, schedule_posts
from herald.queue import DeliveryQueue, Lane, NewDelivery
from herald.scheduling.actions import Action, ActionStatus, PlannedAction, queue_actions
from herald.scheduling.content import ContentItem
from herald.scheduling.edits import EDIT_METHODS, EditRefused, plan_edits, shown_by
from herald.scheduling.invites import Link, links_for, missing_reason
from herald.scheduling.options import PostOptions
from herald.scheduling.post import ButtonSigner, render_post, tracks_links
from herald.scheduling.runner import schedule_campaign
from herald.scheduling.runs import Run, RunLog
from herald.scheduling.schedules import Schedule, ScheduleStore
from herald.scheduling.variants import VariantError


class RunNotFound(LookupError):
    """No such run of that schedule."""


class LifecycleRefused(ValueError):
    """The run's posts cannot be edited as asked (its item is gone, or changed kind)."""


@dataclass(frozen=True, slots=True)
class ChatAction:
    """What one chat's post got from the request."""

    chat_id: str
    topic_id: int | None
    message_id: str | None
    status: str  # queued, already_queued (by an earlier request), skipped
    detail: str  # the Bot API method queued, or why the chat was skipped
    delivery_id: int | None = None


@dataclass(frozen=True, slots=True)
class LifecycleResult:
    run_id: int
    action: str  # edit, delete
    queued: int  # deliveries new by this request
    chats: tuple[ChatAction, ...]


@dataclass(frozen=True, slots=True)
class _Post:
    id: int
    chat_id: str
    topic_id: int | None
    status: str
    message_id: str | None
    delivery_id: int | None
    variant: str | None  # the A/B variant the chat was shown
    messages: list[dict[str, Any]] | None  # a media post's (scheduling/posted.py)

    @property
    def message_ids(self) -> list[int]:
        """Every message the post made: an album's files and its buttons message."""
        if self.messages:
            return [int(m["message_id"]) for m in self.messages]
        return [int(self.message_id or 0)]


@dataclass(frozen=True, slots=True)
class _Step:
    """What a request does to one chat's post: its actions (none: skipped, why)."""

    post: _Post
    plans: list[PlannedAction]
    detail: str  # the Bot API methods queued, or why the chat was skipped


class PostLifecycle:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        queue: DeliveryQueue,
        schedules: ScheduleStore,
        runs: RunLog,
        signer: ButtonSigner,
        public_url: str | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._queue = queue
        self._schedules = schedules
        self._runs = runs
        self._signer = signer
        self._public_url = public_url

    async def edit(
        self, schedule_id: int, run_id: int, request: str | None = None
    ) -> LifecycleResult:
        """Edit the run's posts to say what its item says now."""
        schedule, run = await self._found(schedule_id, run_id)
        if run.content_id is None:
            raise LifecycleRefused(f"run {run_id} posted nothing")
        async with self._db.write() as conn:
            row = (
                await conn.execute(select(content).where(content.c.id == run.content_id))
            ).first()
            if row is None:
                raise LifecycleRefused(
                    f"content item {run.content_id} no longer exists: nothing to edit to"
                )
            item = ContentItem.from_row(row)
            options = schedule.options.over(item.options)
            rendered: dict[tuple[str | None, str | None], dict[str, Any]] = {}
            per_chat = bool(item.join_targets) or tracks_links(item, self._public_url)
            posts = await _posts(conn, run_id)
            links = await links_for(conn, item.id, item.join_targets, [p.chat_id for p in posts])
            steps: list[_Step] = []
            for p in posts:
                if (why := await _skipped(conn, p)) is not None:
                    steps.append(_Step(p, [], why))
                    continue
                shown = (p.variant, p.chat_id if per_chat else None)
                if shown not in rendered:
                    joins = _joins(item, links, p)
                    rendered[shown] = self._render(item, options, *shown, joins, run_id)
                post = rendered[shown]
                what = f"r:{request}" if request else _digest(post)
                try:
                    edits = plan_edits(
                        shown_by(await _shown(conn, p)), post, int(p.message_id or 0), p.messages
                    )
                except EditRefused as exc:
                    raise LifecycleRefused(f"chat {p.chat_id}: {exc}") from None
                key = await _key(conn, p, Action.EDIT, what, explicit=request is not None)
                plans = [
                    PlannedAction(
                        p.id,
                        run_id,
                        Action.EDIT,
                        str(e.message_id),
                        self._delivery(p, f"{key}:{e.message_id}", e.payload, schedule_id),
                    )
                    for e in edits
                ]
                steps.append(_Step(p, plans, ", ".join(EDIT_METHODS[e.kind] for e in edits)))
            return await self._queued(conn, run_id, Action.EDIT, steps)

    async def delete(
        self, schedule_id: int, run_id: int, request: str | None = None
    ) -> LifecycleResult:
        """Delete the run's posts from every chat."""
        await self._found(schedule_id, run_id)
        what = f"r:{request}" if request else "all"
        async with self._db.write() as conn:
            steps: list[_Step] = []
            for p in await _posts(conn, run_id):
                if (why := await _skipped(conn, p)) is not None:
                    steps.append(_Step(p, [], why))
                    continue
                key = await _key(conn, p, Action.DELETE, what, explicit=request is not None)
                plans = [
                    PlannedAction(
                        p.id,
                        run_id,
                        Action.DELETE,
                        str(message_id),
                        self._delivery(
                            p,
                            f"{key}:{message_id}",
                            {"action": "delete", "message_id": message_id},
                            schedule_id,
                        ),
                    )
                    for message_id in p.message_ids
                ]
                steps.append(_Step(p, plans, "deleteMessage"))
            return await self._queued(conn, run_id, Action.DELETE, steps)

    def _render(
        self,
        item: ContentItem,
        options: PostOptions,
        variant: str | None,
        chat: str | None,
        joins: dict[str, str],
        run_id: int,
    ) -> dict[str, Any]:
        """The post as the item says it now, in the A/B variant the chat was shown (or
        the item's own body when that variant is not in the test running now), its
        tracked links naming ``chat`` and the run (the post) and its join buttons the
        chat's invite links, as the post's did."""
        url = self._public_url
        run = run_id if chat is not None else None
        try:
            return render_post(item, self._signer, url, options, variant, joins, chat, run)
        except VariantError:
            return render_post(item, self._signer, url, options, None, joins, chat, run)

    async def _found(self, schedule_id: int, run_id: int) -> tuple[Schedule, Run]:
        run = await self._runs.run(run_id)
        schedule = await self._schedules.get(schedule_id)
        if run is None or schedule is None or run.schedule_id != schedule_id:
            raise RunNotFound(f"run {run_id} of schedule {schedule_id} not found")
        return schedule, run

    def _delivery(
        self, post: _Post, key: str, payload: dict[str, Any], schedule_id: int
    ) -> NewDelivery:
        return NewDelivery(
            channel=Channel.TELEGRAM,
            recipient=post.chat_id,
            payload=payload,
            lane=Lane.CAMPAIGN,
            campaign=schedule_campaign(schedule_id),
            idempotency_key=key,
        )

    async def _queued(
        self,
        conn: AsyncConnection,
        run_id: int,
        action: Action,
        steps: Sequence[_Step],
    ) -> LifecycleResult:
        """Queue the planned steps; a chat whose request was queued before says so."""
        planned = [plan for step in steps for plan in step.plans]
        known = await _existing(conn, [p.request for p in planned])
        created = await queue_actions(conn, self._queue, planned, self._clock.now())
        ids = await _existing(conn, [p.request for p in planned])
        chats = []
        for step in steps:
            post, first = step.post, (step.plans[0] if step.plans else None)
            if first is None:
                status, delivery = "skipped", None
            else:
                status = "already_queued" if first.request in known else "queued"
                delivery = ids.get(first.request)
            chats.append(
                ChatAction(
                    post.chat_id, post.topic_id, post.message_id, status, step.detail, delivery
                )
            )
        if created:
            self._queue.wakeup.work_arrived([Channel.TELEGRAM])
        return LifecycleResult(run_id, action.value, created, tuple(chats))


def _joins(
    item: ContentItem, links: dict[tuple[str, str, str], Link], post: _Post
) -> dict[str, str]:
    """The invite links a chat's post carried (its variant's), for the edit to keep;
    LifecycleRefused when one is not there (a join button added since the post)."""
    joins = {}
    for target in item.join_targets:
        link = links.get((target, post.chat_id, post.variant or ""))
        if link is None or link.url is None:
            raise LifecycleRefused(
                f"chat {post.chat_id}: {missing_reason(target, link)} (post the promo there "
                "first: its next post makes the link)"
            )
        joins[target] = link.url
    return joins


async def _posts(conn: AsyncConnection, run_id: int) -> list[_Post]:
    p = schedule_posts
    rows = await conn.execute(select(p).where(p.c.run_id == run_id).order_by(p.c.id))
    return [
        _Post(
            int(r.id),
            r.chat_id,
            r.topic_id or None,
            r.status,
            r.message_id,
            r.delivery_id,
            r.variant,
            r.messages,
        )
        for r in rows
    ]


async def _skipped(conn: AsyncConnection, post: _Post) -> str | None:
    """Why this chat's post gets nothing (not sent, or deleted already), or None."""
    why = None
    if post.status != "sent" or not (post.message_id or "").isdigit():
        why = "the post was not sent" if post.status != "queued" else "the post is not sent yet"
    else:
        a = schedule_post_actions
        gone = await conn.scalar(
            select(func.count()).where(
                a.c.post_id == post.id,
                a.c.action == Action.DELETE,
                a.c.message_id == post.message_id,
                a.c.status == ActionStatus.DONE,
            )
        )
        if gone:
            why = "the post was deleted"
    return why


async def _shown(conn: AsyncConnection, post: _Post) -> Mapping[str, Any] | None:
    """What the message says now, as far as herald knows: its last finished edit's
    payload, or the post's own (None when that delivery was pruned)."""
    a, d = schedule_post_actions, deliveries
    last = await conn.scalar(
        select(d.c.payload)
        .join(a, a.c.delivery_id == d.c.id)
        .where(
            a.c.post_id == post.id,
            a.c.action == Action.EDIT,
            a.c.status == ActionStatus.DONE,
        )
        .order_by(a.c.id.desc())
        .limit(1)
    )
    if last is None and post.delivery_id is not None:
        last = await conn.scalar(select(d.c.payload).where(d.c.id == post.delivery_id))
    return last if isinstance(last, Mapping) else None


async def _key(
    conn: AsyncConnection, post: _Post, action: Action, what: str, *, explicit: bool
) -> str:
    """The request's idempotency key for this post: the caller's request id, or ``what``
    it asks after the last finished action of its kind (asking again once that finished
    is a new request)."""
    if explicit:
        return f"{action.value}:{post.id}:{what}"[:255]
    a = schedule_post_actions
    last = await conn.scalar(
        select(func.max(a.c.id)).where(
            a.c.post_id == post.id,
            a.c.action == action,
            a.c.status != ActionStatus.QUEUED,
        )
    )
    return f"{action.value}:{post.id}:{last or 0}:{what}"[:255]


async def _existing(conn: AsyncConnection, keys: Sequence[str]) -> dict[str, int | None]:
    a = schedule_post_actions
    if not keys:
        return {}
    rows = await conn.execute(select(a.c.request, a.c.delivery_id).where(a.c.request.in_(keys)))
    return {r.request: r.delivery_id for r in rows}


def _digest(post: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(post, sort_keys=True, default=str).encode()).hexdigest()[:32]
