"""Recipients: the platform's users as herald reaches them.

Addresses live here, not in queued deliveries' callers, so that what a channel
learns (a blocked bot, a migrated group, an expired push subscription) updates
one place and every later message benefits.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.channel import Channel
from herald.clock import Clock
from herald.db import Database
from herald.db.tables import push_subscriptions, recipients
from herald.events import record
from herald.events.schemas import PushSubscriptionExpired, RecipientUnreachable


@dataclass(frozen=True, slots=True)
class PushSubscription:
    id: int
    endpoint: str
    p256dh: str
    auth: str
    created_at: datetime

    def as_browser_json(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass(frozen=True, slots=True)
class RecipientFields:
    """What a PUT sets; fields not given are cleared (PUT replaces)."""

    email: str | None = None
    telegram_chat_id: str | None = None
    locale: str | None = None
    channels: tuple[str, ...] = ()
    opted_out: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Recipient:
    id: int
    external_id: str
    email: str | None
    telegram_chat_id: str | None
    telegram_unreachable_at: datetime | None
    telegram_unreachable_reason: str | None
    locale: str | None
    channels: tuple[str, ...]
    opted_out: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    push_subscriptions: tuple[PushSubscription, ...] = field(default_factory=tuple)

    def address(self, channel: str) -> str | None:
        """Where this recipient can be reached on ``channel`` now, if anywhere."""
        if channel in self.opted_out:
            return None
        if channel == Channel.EMAIL:
            return self.email
        if channel == Channel.TELEGRAM:
            return None if self.telegram_unreachable_at else self.telegram_chat_id
        if channel == Channel.PUSH:
            return self.push_subscriptions[0].endpoint if self.push_subscriptions else None
        return None


class Recipients:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def put(self, external_id: str, fields: RecipientFields) -> tuple[Recipient, bool]:
        """Create or replace; returns the recipient and whether it was created."""
        now = self._clock.now()
        values = {
            "email": fields.email,
            "telegram_chat_id": fields.telegram_chat_id,
            "locale": fields.locale,
            "channels": list(fields.channels),
            "opted_out": list(fields.opted_out),
            "updated_at": now,
        }
        async with self._db.write() as conn:
            current = await _row(conn, external_id)
            if current is None:
                await conn.execute(
                    insert(recipients).values(external_id=external_id, created_at=now, **values)
                )
                created = True
            else:
                if current.telegram_chat_id != fields.telegram_chat_id:
                    # A new address is a new chance: forget that the old one failed.
                    values.update(telegram_unreachable_at=None, telegram_unreachable_reason=None)
                await conn.execute(
                    update(recipients).where(recipients.c.id == current.id).values(**values)
                )
                created = False
            recipient = await _load(conn, external_id)
        assert recipient is not None
        return recipient, created

    async def get(self, external_id: str) -> Recipient | None:
        async with self._db.read() as conn:
            return await _load(conn, external_id)

    async def get_by_id(self, recipient_id: int) -> Recipient | None:
        async with self._db.read() as conn:
            external_id = await conn.scalar(
                select(recipients.c.external_id).where(recipients.c.id == recipient_id)
            )
            return await _load(conn, external_id) if external_id is not None else None

    async def ids_by_telegram_chat(self, chat_id: str) -> list[int]:
        """The recipients reached at this Telegram chat (a private chat: its user), for
        the bot's /stop and /start. No index: commands are rare beside sends."""
        async with self._db.read() as conn:
            found = await conn.scalars(
                select(recipients.c.id)
                .where(recipients.c.telegram_chat_id == chat_id)
                .order_by(recipients.c.id)
            )
            return list(found.all())

    async def page(
        self, after_id: int = 0, limit: int = 500, external_ids: Sequence[str] | None = None
    ) -> list[Recipient]:
        """Recipients by id after ``after_id`` (keyset paging for campaigns), two queries."""
        stmt = select(recipients).where(recipients.c.id > after_id)
        if external_ids is not None:
            stmt = stmt.where(recipients.c.external_id.in_(list(external_ids)))
        async with self._db.read() as conn:
            return await _load_many(conn, stmt.order_by(recipients.c.id).limit(limit))

    async def get_many(self, external_ids: Collection[str]) -> dict[str, Recipient]:
        """Those of ``external_ids`` that exist, by external id, with their push
        subscriptions: one statement however many ids (the alert intake's hot read)."""
        wanted = list(dict.fromkeys(external_ids))
        if not wanted:
            return {}
        param: list[str] | str
        if self._db.dialect == "postgresql":
            sql, param = _MANY_SQL.format(ids="= ANY($1::text[])"), wanted
        else:
            sql = _MANY_SQL.format(ids="IN (SELECT value FROM json_each(?))")
            param = json.dumps(wanted)
        async with self._db.read() as conn:
            rows = (await conn.exec_driver_sql(sql, (param,))).all()
        first: dict[str, Sequence[Any]] = {}  # external id -> its first row
        subs: dict[str, list[PushSubscription]] = {}
        for row in rows:
            r: Sequence[Any] = tuple(row)
            first.setdefault(r[1], r)
            owned = subs.setdefault(r[1], [])
            if r[11] is not None:
                owned.append(PushSubscription(int(r[11]), r[12], r[13], r[14], _time(r[15])))
        return {ext: _raw_recipient(r, subs[ext]) for ext, r in first.items()}

    async def delete(self, external_id: str) -> bool:
        async with self._db.write() as conn:
            current = await _row(conn, external_id)
            if current is None:
                return False
            await conn.execute(
                delete(push_subscriptions).where(push_subscriptions.c.recipient_id == current.id)
            )
            await conn.execute(delete(recipients).where(recipients.c.id == current.id))
        return True

    async def add_push_subscription(
        self, external_id: str, endpoint: str, p256dh: str, auth: str
    ) -> PushSubscription | None:
        """Attach a browser subscription (moving it if another recipient had it)."""
        now = self._clock.now()
        async with self._db.write() as conn:
            current = await _row(conn, external_id)
            if current is None:
                return None
            await conn.execute(
                delete(push_subscriptions).where(push_subscriptions.c.endpoint == endpoint)
            )
            sub_id = await conn.scalar(
                insert(push_subscriptions)
                .values(
                    recipient_id=current.id,
                    endpoint=endpoint,
                    p256dh=p256dh,
                    auth=auth,
                    created_at=now,
                )
                .returning(push_subscriptions.c.id)
            )
        assert sub_id is not None
        return PushSubscription(int(sub_id), endpoint, p256dh, auth, now)

    async def remove_push_subscription(self, external_id: str, subscription_id: int) -> bool:
        async with self._db.write() as conn:
            current = await _row(conn, external_id)
            if current is None:
                return False
            result = await conn.execute(
                delete(push_subscriptions).where(
                    push_subscriptions.c.id == subscription_id,
                    push_subscriptions.c.recipient_id == current.id,
                )
            )
        return bool(result.rowcount)

    async def forget_push_endpoint(self, endpoint: str) -> bool:
        """The push service said the subscription is gone (404/410): deleted, with its
        push.subscription_expired event."""
        s, r = push_subscriptions, recipients
        now = self._clock.now()
        async with self._db.write() as conn:
            gone = (
                await conn.execute(
                    delete(s).where(s.c.endpoint == endpoint).returning(s.c.id, s.c.recipient_id)
                )
            ).all()
            owners = await conn.execute(
                select(r.c.id, r.c.external_id).where(r.c.id.in_([g.recipient_id for g in gone]))
            )
            external = {int(o.id): o.external_id for o in owners}
            await record(
                conn,
                [
                    PushSubscriptionExpired(
                        recipient=external[int(g.recipient_id)],
                        subscription_id=g.id,
                        expired_at=now,
                    ).event(now)
                    for g in gone
                    if int(g.recipient_id) in external
                ],
            )
        return bool(gone)

    async def mark_telegram_unreachable(self, chat_id: str, reason: str) -> int:
        """Telegram refused for good (blocked, kicked, deactivated) until the id changes;
        each recipient marked gets its recipient.unreachable event."""
        now = self._clock.now()
        async with self._db.write() as conn:
            marked = (
                await conn.execute(
                    update(recipients)
                    .where(
                        recipients.c.telegram_chat_id == chat_id,
                        recipients.c.telegram_unreachable_at.is_(None),
                    )
                    .values(telegram_unreachable_at=now, telegram_unreachable_reason=reason[:255])
                    .returning(recipients.c.external_id)
                )
            ).all()
            await record(
                conn,
                [
                    RecipientUnreachable(
                        recipient=m.external_id,
                        channel=Channel.TELEGRAM,
                        chat_id=chat_id,
                        reason=reason,
                        unreachable_at=now,
                    ).event(now)
                    for m in marked
                ],
            )
        return len(marked)

    async def move_telegram_chat(self, old_chat_id: str, new_chat_id: str) -> int:
        """A group became a supergroup: its id changed and the old one is dead."""
        async with self._db.write() as conn:
            result = await conn.execute(
                update(recipients)
                .where(recipients.c.telegram_chat_id == old_chat_id)
                .values(telegram_chat_id=new_chat_id, updated_at=self._clock.now())
            )
        return int(result.rowcount)


async def _row(conn: AsyncConnection, external_id: str) -> Any:
    return (
        await conn.execute(select(recipients).where(recipients.c.external_id == external_id))
    ).first()


async def _load(conn: AsyncConnection, external_id: str) -> Recipient | None:
    row = await _row(conn, external_id)
    if row is None:
        return None
    subs = (
        await conn.execute(
            select(push_subscriptions)
            .where(push_subscriptions.c.recipient_id == row.id)
            .order_by(push_subscriptions.c.id.desc())
        )
    ).all()
    return _recipient(row, subs)


async def _load_many(conn: AsyncConnection, stmt: Select[Any]) -> list[Recipient]:
    rows = (await conn.execute(stmt)).all()
    ids = [r.id for r in rows]
    subs = (
        (
            await conn.execute(
                select(push_subscriptions)
                .where(push_subscriptions.c.recipient_id.in_(ids))
                .order_by(push_subscriptions.c.id.desc())
            )
        ).all()
        if ids
        else []
    )
    by_owner: dict[int, list[Any]] = {}
    for s in subs:
        by_owner.setdefault(s.recipient_id, []).append(s)
    return [_recipient(r, by_owner.get(r.id, [])) for r in rows]


# Recipients and their subscriptions (newest first) in one statement, read without
# SQLAlchemy's per-row processing, which cost more than the query itself.
_MANY_SQL = (
    "SELECT r.id, r.external_id, r.email, r.telegram_chat_id, r.telegram_unreachable_at, "
    "r.telegram_unreachable_reason, r.locale, r.channels, r.opted_out, r.created_at, "
    "r.updated_at, s.id, s.endpoint, s.p256dh, s.auth, s.created_at "
    "FROM recipients r LEFT JOIN push_subscriptions s ON s.recipient_id = r.id "
    "WHERE r.external_id {ids} ORDER BY r.id, s.id DESC"
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _time(value: Any) -> Any:
    """A driver's timestamp: PostgreSQL's is aware already, SQLite's is UTC text."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _raw_recipient(r: Sequence[Any], subs: Sequence[PushSubscription]) -> Recipient:
    return Recipient(
        id=int(r[0]),
        external_id=r[1],
        email=r[2],
        telegram_chat_id=r[3],
        telegram_unreachable_at=_time(r[4]),
        telegram_unreachable_reason=r[5],
        locale=r[6],
        channels=tuple(_json(r[7]) or ()),
        opted_out=tuple(_json(r[8]) or ()),
        created_at=_time(r[9]),
        updated_at=_time(r[10]),
        push_subscriptions=tuple(subs),
    )


def _recipient(row: Any, subs: Sequence[Any]) -> Recipient:
    return Recipient(
        id=int(row.id),
        external_id=row.external_id,
        email=row.email,
        telegram_chat_id=row.telegram_chat_id,
        telegram_unreachable_at=row.telegram_unreachable_at,
        telegram_unreachable_reason=row.telegram_unreachable_reason,
        locale=row.locale,
        channels=tuple(row.channels or ()),
        opted_out=tuple(row.opted_out or ()),
        created_at=row.created_at,
        updated_at=row.updated_at,
        push_subscriptions=tuple(
            PushSubscription(int(s.id), s.endpoint, s.p256dh, s.auth, s.created_at) for s in subs
        ),
    )
