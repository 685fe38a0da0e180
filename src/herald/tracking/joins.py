"""Joins through herald's invite links: stored from Telegram's ``chat_member`` updates,
counted per promo and per source chat (the chat the promo was posted in).

Each invite link belongs to one (promo, target chat, source chat, A/B variant)
(``scheduling.invites``), so the link a person joined by says all four: joins per
variant are counted from the links, not guessed from what was posted when. A join is
stored once per (link, user, time): Telegram may deliver an update again, and a person
who leaves and joins again later is a second join.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.db import Database
from herald.db.tables import invite_links, joins


@dataclass(frozen=True, slots=True)
class SourceJoins:
    source_chat_id: str  # where the promo was posted
    target_chat_id: str  # the chat joined
    joins: int


class JoinStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, link: str, user_id: int, joined_at: datetime) -> str:
        """Store a join by ``link``: stored, duplicate, or foreign (not one of ours)."""
        t = invite_links
        try:
            async with self._db.write() as conn:
                row = (
                    await conn.execute(
                        select(
                            t.c.id,
                            t.c.content_id,
                            t.c.target_chat_id,
                            t.c.source_chat_id,
                            t.c.variant,
                        ).where(t.c.invite_link == link)
                    )
                ).first()
                if row is None:
                    return "foreign"
                await conn.execute(
                    insert(joins).values(
                        invite_link_id=row.id,
                        content_id=row.content_id,
                        target_chat_id=row.target_chat_id,
                        source_chat_id=row.source_chat_id,
                        telegram_user_id=user_id,
                        joined_at=joined_at,
                        variant=row.variant or None,
                    )
                )
        except IntegrityError:
            return "duplicate"
        return "stored"

    async def counts(self, ids: Sequence[int]) -> dict[int, int]:
        """Joins per promo."""
        if not ids:
            return {}
        j = joins
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(j.c.content_id, func.count())
                .where(j.c.content_id.in_(list(ids)))
                .group_by(j.c.content_id)
            )
            return {int(promo): int(n) for promo, n in rows}

    async def by_source(self, promo_id: int) -> list[SourceJoins]:
        """A promo's joins per (source chat, target chat), most first."""
        j = joins
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(j.c.source_chat_id, j.c.target_chat_id, func.count().label("n"))
                .where(j.c.content_id == promo_id)
                .group_by(j.c.source_chat_id, j.c.target_chat_id)
            )
            found = [SourceJoins(r.source_chat_id, r.target_chat_id, int(r.n)) for r in rows]
        return sorted(found, key=lambda s: (-s.joins, s.source_chat_id, s.target_chat_id))

    async def export(self, promo_id: int, page: int = 1000) -> AsyncIterator[dict[str, Any]]:
        """Every join of the promo, oldest first, a page at a time (for CSV)."""
        j = joins
        after = 0
        while True:
            async with self._db.read() as conn:
                rows = (
                    await conn.execute(
                        select(joins)
                        .where(j.c.content_id == promo_id, j.c.id > after)
                        .order_by(j.c.id)
                        .limit(page)
                    )
                ).all()
            for row in rows:
                yield dict(row._mapping)
            if len(rows) < page:
                return
            after = int(rows[-1].id)


async def variant_joins(conn: AsyncConnection, promo_id: int, since: datetime) -> dict[str, int]:
    """A promo's joins per A/B variant since ``since`` (a test's start), by the variant
    of the link joined by; joins through links made outside a test are in none."""
    j = joins
    rows = await conn.execute(
        select(j.c.variant, func.count())
        .where(j.c.content_id == promo_id, j.c.joined_at >= since, j.c.variant.is_not(None))
        .group_by(j.c.variant)
    )
    return {str(variant): int(n) for variant, n in rows}
