"""Per-promo analytics: posts, deliveries, clicks, unique clickers, click-through rate,
and clicks over time, from the post log and the clicks store.

Clicks and unique clickers count people only: hits flagged by ``tracking.humans`` (a
preview fetcher, a crawler, a scanner...) are counted apart, as ``flagged``.

Click-through rate is unique human clickers divided by members reached (the member
counts of the chats the promo was sent to, ``tracking/reach.py``): Telegram says nothing
of who read a post, so the members who could have are the honest denominator. Clickers
per chat (the earlier figure) is kept beside it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import func, select, text

from herald.db import Database
from herald.db.tables import clicks, content, schedule_posts, schedule_runs
from herald.tracking import reach
from herald.tracking.clicks import clicker, flagged, human
from herald.tracking.reach import ChatReach, PostReach

Bucket = Literal["hour", "day"]
POSTED = ("queued", "done")


@dataclass(frozen=True, slots=True)
class PromoStats:
    promo_id: int
    title: str
    kind: str
    posts: int  # runs that posted it
    deliveries: int  # chats that got it
    clicks: int  # people's clicks
    unique_clickers: int
    click_through_rate: float | None  # unique clickers / members reached
    first_click: datetime | None
    last_click: datetime | None
    flagged: int = 0  # hits that were no person
    chats_reached: int = 0  # distinct chats it was sent to
    members_reached: int = 0  # their members, where known (tracking/reach.py)
    chats_without_count: int = 0
    clickers_per_chat: float | None = None  # unique clickers / chats reached


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    start: datetime
    clicks: int
    unique_clickers: int
    flagged: int = 0


class Analytics:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def promos(self, kind: str = "promo") -> list[PromoStats]:
        r, p, c = schedule_runs, schedule_posts, clicks
        async with self._db.read() as conn:
            items = (
                await conn.execute(
                    select(content.c.id, content.c.title, content.c.kind)
                    .where(content.c.kind == kind)
                    .order_by(content.c.id)
                )
            ).all()
            ids = [int(i.id) for i in items]
            posts: dict[int, int] = dict(
                (
                    await conn.execute(
                        select(r.c.content_id, func.count())
                        .where(r.c.content_id.in_(ids), r.c.status.in_(POSTED))
                        .group_by(r.c.content_id)
                    )
                ).all()
            )
            delivered: dict[int, int] = dict(
                (
                    await conn.execute(
                        select(r.c.content_id, func.count())
                        .join(p, p.c.run_id == r.c.id)
                        .where(r.c.content_id.in_(ids), p.c.status == "sent")
                        .group_by(r.c.content_id)
                    )
                ).all()
            )
            clicked = {
                row.promo_id: row
                for row in await conn.execute(
                    select(
                        c.c.promo_id,
                        func.count().filter(human()).label("n"),
                        func.count(clicker().distinct()).filter(human()).label("unique"),
                        func.min(c.c.clicked_at).filter(human()).label("first"),
                        func.max(c.c.clicked_at).filter(human()).label("last"),
                        flagged().label("flagged"),
                    )
                    .where(c.c.promo_id.in_(ids))
                    .group_by(c.c.promo_id)
                )
            }
            reached = await reach.members(conn, ids)
        stats = []
        for item in items:
            row = clicked.get(item.id)
            unique = int(row.unique) if row else 0
            chats = reached.get(item.id, reach.Members(0, 0, 0))
            stats.append(
                PromoStats(
                    promo_id=int(item.id),
                    title=item.title,
                    kind=item.kind,
                    posts=int(posts.get(item.id, 0)),
                    deliveries=int(delivered.get(item.id, 0)),
                    clicks=int(row.n) if row else 0,
                    unique_clickers=unique,
                    click_through_rate=reach.rate(unique, chats.members_reached),
                    first_click=_aware(row.first) if row and row.first else None,
                    last_click=_aware(row.last) if row and row.last else None,
                    flagged=int(row.flagged) if row else 0,
                    chats_reached=chats.chats_reached,
                    members_reached=chats.members_reached,
                    chats_without_count=chats.chats_without_count,
                    clickers_per_chat=reach.rate(unique, chats.chats_reached),
                )
            )
        return stats

    async def series(
        self,
        promo_id: int,
        bucket: Bucket,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SeriesPoint]:
        """People's clicks, unique clickers and flagged hits per hour or day (UTC), oldest
        first; buckets without any hit are left out."""
        c = clicks.c
        start = _bucket_start(self._db.dialect, bucket)
        query = select(
            start.label("start"),
            func.count().filter(human()),
            func.count(clicker().distinct()).filter(human()),
            flagged(),
        ).where(c.promo_id == promo_id)
        if since is not None:
            query = query.where(c.clicked_at >= since)
        if until is not None:
            query = query.where(c.clicked_at < until)
        async with self._db.read() as conn:
            rows = (await conn.execute(query.group_by(start).order_by(start))).all()
        return [SeriesPoint(_parse(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    async def by_chat(self, promo_id: int) -> list[ChatReach]:
        """Per chat the promo was sent to or pressed in: members, clicks, CTR."""
        async with self._db.read() as conn:
            return await reach.by_chat(conn, promo_id)

    async def by_post(self, promo_id: int) -> list[PostReach]:
        """The promo's sent posts, newest first: members, presses on it, CTR."""
        async with self._db.read() as conn:
            return await reach.by_post(conn, promo_id)

    async def export(
        self,
        promo_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page: int = 1000,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching click, oldest first, read a page at a time (for CSV)."""
        c = clicks.c
        after = 0
        while True:
            query = select(clicks).where(c.id > after)
            if promo_id is not None:
                query = query.where(c.promo_id == promo_id)
            if since is not None:
                query = query.where(c.clicked_at >= since)
            if until is not None:
                query = query.where(c.clicked_at < until)
            async with self._db.read() as conn:
                rows = (await conn.execute(query.order_by(c.id).limit(page))).all()
            for row in rows:
                yield dict(row._mapping)
            if len(rows) < page:
                return
            after = int(rows[-1].id)


def _bucket_start(dialect: str, bucket: Bucket) -> Any:
    if dialect == "postgresql":
        return func.date_trunc(bucket, func.timezone("UTC", clicks.c.clicked_at))
    pattern = "%Y-%m-%dT%H:00:00" if bucket == "hour" else "%Y-%m-%dT00:00:00"
    return func.strftime(text(f"'{pattern}'"), clicks.c.clicked_at)


def _parse(value: Any) -> datetime:
    if isinstance(value, datetime):
        return _aware(value)
    return _aware(datetime.fromisoformat(str(value)))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
