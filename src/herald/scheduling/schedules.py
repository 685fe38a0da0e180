"""Schedules and their chats: what is posted where, and when.

A schedule waits at ``next_slot_at``; the runner claims that slot and moves it on.
Changing the cadence or resuming re-anchors the schedule at that moment, so interval
slots are always ``anchor + k * interval`` and every process computes the same ones.
A chat that stopped accepting posts (the bot was removed) stays listed as inactive,
with the reason, rather than disappearing. A chat may be listed several times with
different forum topics; a topic that is closed or gone fails its posts but never
makes the chat inactive (only the chat's own reasons do, ``effects.CHAT_GONE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import schedule_chats, schedules
from herald.events import record
from herald.events.schemas import ChatDeactivated, ChatMigrated
from herald.scheduling.cadence import Cadence, first_slot
from herald.scheduling.options import NO_OPTIONS, PostOptions

DEFAULT_INTERVAL_SECONDS = 4 * 3600
DEFAULT_CADENCE = Cadence(interval_seconds=DEFAULT_INTERVAL_SECONDS)


class ScheduleKind(StrEnum):
    GUIDES = "guides"  # every enabled guide, in id order
    PROMOS = "promos"  # every enabled promo, in id order
    PLAYLIST = "playlist"  # the listed content ids, in the listed order


class ScheduleExists(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"a schedule named {name!r} already exists")
        self.name = name


class ScheduleRuleError(ValueError):
    """A change no schedule may have (an unknown item, items for a non-playlist);
    ``loc`` names the field, for the API's 422 and the form's error."""

    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


NO_TOPIC = 0  # topic_id as stored for a chat posted to without a topic


@dataclass(frozen=True, slots=True)
class ChatTarget:
    """Where a post goes: a chat, or a forum topic in it (``message_thread_id``)."""

    chat_id: str
    topic_id: int | None = None

    @property
    def stored_topic(self) -> int:
        return self.topic_id or NO_TOPIC


def target(entry: str | ChatTarget) -> ChatTarget:
    return entry if isinstance(entry, ChatTarget) else ChatTarget(entry)


def targets(entries: Sequence[str | ChatTarget]) -> list[ChatTarget]:
    """The entries as targets, each once, in order."""
    return list(dict.fromkeys(target(e) for e in entries))


@dataclass(frozen=True, slots=True)
class ScheduleChat:
    chat_id: str
    active: bool
    inactive_reason: str | None
    added_at: datetime
    updated_at: datetime
    topic_id: int | None = None
    readded_at: datetime | None = None  # inactive, and the bot was added back then

    @property
    def target(self) -> ChatTarget:
        return ChatTarget(self.chat_id, self.topic_id)


@dataclass(frozen=True, slots=True)
class Schedule:
    id: int
    name: str
    kind: ScheduleKind
    items: tuple[int, ...]
    cadence: Cadence
    enabled: bool
    post_on_start: bool
    position: int
    anchor_at: datetime
    next_slot_at: datetime | None
    last_slot_at: datetime | None
    last_result: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    chats: tuple[ScheduleChat, ...] = ()
    options: PostOptions = NO_OPTIONS  # over each item's own, field by field

    @property
    def active_chats(self) -> list[ChatTarget]:
        return [c.target for c in self.chats if c.active]

    @classmethod
    def from_row(cls, row: Any, chats: Sequence[ScheduleChat] = ()) -> Schedule:
        m = row._mapping
        return cls(
            id=int(m["id"]),
            name=m["name"],
            kind=ScheduleKind(m["kind"]),
            items=tuple(int(i) for i in m["items"] or ()),
            cadence=Cadence(m["interval_seconds"], m["cron"], m["timezone"]),
            enabled=bool(m["enabled"]),
            post_on_start=bool(m["post_on_start"]),
            position=int(m["position"]),
            anchor_at=m["anchor_at"],
            next_slot_at=m["next_slot_at"],
            last_slot_at=m["last_slot_at"],
            last_result=m["last_result"],
            created_at=m["created_at"],
            updated_at=m["updated_at"],
            chats=tuple(chats),
            options=PostOptions.from_json(m["options"]),
        )


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    name: str
    kind: ScheduleKind
    cadence: Cadence = DEFAULT_CADENCE
    chat_ids: Sequence[str | ChatTarget] = ()
    items: Sequence[int] = ()
    enabled: bool = True
    post_on_start: bool = False
    options: PostOptions = NO_OPTIONS


# Fields a PATCH may change; None means "leave as it is".
@dataclass(frozen=True, slots=True)
class ScheduleChanges:
    name: str | None = None
    cadence: Cadence | None = None
    chat_ids: Sequence[str | ChatTarget] | None = None
    items: Sequence[int] | None = None
    enabled: bool | None = None
    post_on_start: bool | None = None
    options: PostOptions | None = None  # replaces the schedule's options whole


class ScheduleStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def create(self, spec: ScheduleSpec) -> int:
        now = self._clock.now()
        next_slot = (
            first_slot(spec.cadence, now, now, post_on_start=spec.post_on_start)
            if spec.enabled
            else None
        )
        try:
            async with self._db.write() as conn:
                new_id = await conn.scalar(
                    insert(schedules)
                    .values(
                        name=spec.name,
                        kind=spec.kind.value,
                        items=list(spec.items) if spec.kind is ScheduleKind.PLAYLIST else None,
                        enabled=spec.enabled,
                        post_on_start=spec.post_on_start,
                        options=spec.options.to_json() or None,
                        anchor_at=now,
                        next_slot_at=next_slot,
                        created_at=now,
                        updated_at=now,
                        **_cadence_values(spec.cadence),
                    )
                    .returning(schedules.c.id)
                )
                assert new_id is not None
                await self._replace_chats(conn, int(new_id), spec.chat_ids)
        except IntegrityError:
            raise ScheduleExists(spec.name) from None
        return int(new_id)

    async def get(self, schedule_id: int) -> Schedule | None:
        found = await self._load(schedules.c.id == schedule_id)
        return found[0] if found else None

    async def get_by_name(self, name: str) -> Schedule | None:
        found = await self._load(schedules.c.name == name)
        return found[0] if found else None

    async def all(self) -> list[Schedule]:
        return await self._load(None)

    async def _load(self, where: Any) -> list[Schedule]:
        query = select(schedules).order_by(schedules.c.id)
        if where is not None:
            query = query.where(where)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
            ids = [int(r.id) for r in rows]
            chats: dict[int, list[ScheduleChat]] = {i: [] for i in ids}
            if ids:
                c = schedule_chats
                found = await conn.execute(
                    select(c).where(c.c.schedule_id.in_(ids)).order_by(c.c.id)
                )
                for chat in found:
                    chats[int(chat.schedule_id)].append(
                        ScheduleChat(
                            chat.chat_id,
                            bool(chat.active),
                            chat.inactive_reason,
                            chat.added_at,
                            chat.updated_at,
                            chat.topic_id or None,
                            chat.readded_at,
                        )
                    )
        return [Schedule.from_row(r, chats[int(r.id)]) for r in rows]

    async def update(self, schedule_id: int, changes: ScheduleChanges) -> Schedule | None:
        """Apply ``changes``; a new cadence or a resume re-anchors at now; a pause stops."""
        now = self._clock.now()
        try:
            async with self._db.write() as conn:
                row = (
                    await conn.execute(
                        locked(conn, select(schedules).where(schedules.c.id == schedule_id))
                    )
                ).first()
                if row is None:
                    return None
                current = Schedule.from_row(row)
                values = _changed_values(current, changes, now)
                await conn.execute(
                    update(schedules).where(schedules.c.id == schedule_id).values(values)
                )
                if changes.chat_ids is not None:
                    await self._replace_chats(conn, schedule_id, changes.chat_ids)
        except IntegrityError:
            raise ScheduleExists(changes.name or "") from None
        return await self.get(schedule_id)

    async def delete(self, schedule_id: int) -> bool:
        async with self._db.write() as conn:
            done = await conn.execute(delete(schedules).where(schedules.c.id == schedule_id))
            await conn.execute(
                delete(schedule_chats).where(schedule_chats.c.schedule_id == schedule_id)
            )
        return bool(done.rowcount)

    # -- chats ----------------------------------------------------------------------

    async def _replace_chats(
        self, conn: AsyncConnection, schedule_id: int, chat_ids: Sequence[str | ChatTarget]
    ) -> None:
        """Exactly these chats, all active: an operator listing a chat means post there."""
        c = schedule_chats
        wanted = targets(chat_ids)
        keep = {(t.chat_id, t.stored_topic) for t in wanted}
        listed = (
            await conn.execute(
                select(c.c.id, c.c.chat_id, c.c.topic_id).where(c.c.schedule_id == schedule_id)
            )
        ).all()
        gone = [r.id for r in listed if (r.chat_id, int(r.topic_id)) not in keep]
        if gone:
            await conn.execute(delete(c).where(c.c.id.in_(gone)))
        for chat in wanted:
            await self._upsert_chat(conn, schedule_id, chat, reactivate=True)

    async def _upsert_chat(
        self, conn: AsyncConnection, schedule_id: int, chat: ChatTarget, *, reactivate: bool
    ) -> bool:
        """Add the chat (or, with ``reactivate``, make it active again); True if it changed."""
        c = schedule_chats
        now = self._clock.now()
        this = (
            c.c.schedule_id == schedule_id,
            c.c.chat_id == chat.chat_id,
            c.c.topic_id == chat.stored_topic,
        )
        existing = (await conn.execute(select(c.c.active).where(*this))).first()
        if existing is None:
            await conn.execute(
                insert(c).values(
                    schedule_id=schedule_id,
                    chat_id=chat.chat_id,
                    topic_id=chat.stored_topic,
                    active=True,
                    added_at=now,
                    updated_at=now,
                )
            )
            return True
        if reactivate and not existing.active:
            await conn.execute(
                update(c)
                .where(*this)
                .values(active=True, inactive_reason=None, readded_at=None, updated_at=now)
            )
            return True
        return False

    async def add_chat(
        self, schedule_id: int, chat: str | ChatTarget, *, reactivate: bool = True
    ) -> bool:
        async with self._db.write() as conn:
            return await self._upsert_chat(conn, schedule_id, target(chat), reactivate=reactivate)

    async def remove_chat(self, schedule_id: int, chat_id: str) -> bool:
        """The chat leaves the schedule, with every topic of it listed."""
        c = schedule_chats
        async with self._db.write() as conn:
            done = await conn.execute(
                delete(c).where(c.c.schedule_id == schedule_id, c.c.chat_id == chat_id)
            )
        return bool(done.rowcount)

    async def deactivate_chat(self, chat_id: str, reason: str) -> int:
        """Mark the chat inactive in every schedule and every topic (the bot was removed,
        the chat is gone), with its chat.deactivated event; every path that deactivates a
        chat comes here."""
        c = schedule_chats
        now = self._clock.now()
        async with self._db.write() as conn:
            done = (
                await conn.execute(
                    update(c)
                    .where(c.c.chat_id == chat_id, c.c.active.is_(True))
                    .values(active=False, inactive_reason=reason, readded_at=None, updated_at=now)
                    .returning(c.c.schedule_id)
                )
            ).all()
            if done:
                schedule_ids = sorted({int(r.schedule_id) for r in done})
                event = ChatDeactivated(
                    chat_id=chat_id, reason=reason, schedule_ids=schedule_ids, deactivated_at=now
                )
                await record(conn, [event.event(now)])
        return len(done)

    async def offer_reactivation(self, chat_id: str) -> int:
        """The bot is back in the chat: its inactive targets are offered for reactivation
        (an operator decides; a chat that removed the bot once is not posted to silently)."""
        return await self._change_inactive(chat_id, readded_at=self._clock.now())

    async def reactivate_chat(self, chat_id: str) -> int:
        """Post to the chat again, in every schedule and topic it was inactive in."""
        return await self._change_inactive(
            chat_id, active=True, inactive_reason=None, readded_at=None
        )

    async def _change_inactive(self, chat_id: str, **values: Any) -> int:
        c = schedule_chats
        async with self._db.write() as conn:
            done = await conn.execute(
                update(c)
                .where(c.c.chat_id == chat_id, c.c.active.is_(False))
                .values(**values, updated_at=self._clock.now())
            )
        return int(done.rowcount)

    async def migrate_chat(self, old: str, new: str) -> int:
        """A group became a supergroup: post to its new id from now on (topic by topic),
        with its chat.migrated event."""
        c = schedule_chats
        now = self._clock.now()
        moved = 0
        async with self._db.write() as conn:
            rows = (
                await conn.execute(
                    select(c.c.id, c.c.schedule_id, c.c.topic_id).where(c.c.chat_id == old)
                )
            ).all()
            for row in rows:
                has_new = await conn.scalar(
                    select(c.c.id).where(
                        c.c.schedule_id == row.schedule_id,
                        c.c.chat_id == new,
                        c.c.topic_id == row.topic_id,
                    )
                )
                if has_new is not None:
                    await conn.execute(delete(c).where(c.c.id == row.id))
                else:
                    await conn.execute(
                        update(c).where(c.c.id == row.id).values(chat_id=new, updated_at=now)
                    )
                moved += 1
            if rows:
                event = ChatMigrated(
                    old_chat_id=old,
                    new_chat_id=new,
                    schedule_ids=sorted({int(r.schedule_id) for r in rows}),
                    migrated_at=now,
                )
                await record(conn, [event.event(now)])
        return moved


def locked(conn: AsyncConnection, query: Any) -> Any:
    """``FOR UPDATE`` on PostgreSQL (SQLite's write transaction already excludes others)."""
    return query.with_for_update() if conn.dialect.name == "postgresql" else query


def _cadence_values(cadence: Cadence) -> dict[str, Any]:
    return {
        "interval_seconds": cadence.interval_seconds,
        "cron": cadence.cron,
        "timezone": cadence.timezone,
    }


def _changed_values(current: Schedule, changes: ScheduleChanges, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"updated_at": now}
    if changes.name is not None:
        values["name"] = changes.name
    if changes.items is not None:
        values["items"] = list(changes.items)
    if changes.post_on_start is not None:
        values["post_on_start"] = changes.post_on_start
    if changes.options is not None:
        values["options"] = changes.options.to_json() or None
    cadence = changes.cadence or current.cadence
    if changes.cadence is not None:
        values.update(_cadence_values(cadence))
    enabled = current.enabled if changes.enabled is None else changes.enabled
    values["enabled"] = enabled
    resumed = enabled and not current.enabled
    if not enabled:
        values["next_slot_at"] = None
    elif resumed or (changes.cadence is not None and changes.cadence != current.cadence):
        post_now = resumed and (
            current.post_on_start if changes.post_on_start is None else changes.post_on_start
        )
        values["anchor_at"] = now
        values["next_slot_at"] = first_slot(cadence, now, now, post_on_start=post_now)
    return values
