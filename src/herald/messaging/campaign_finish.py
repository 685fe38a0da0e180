"""When a campaign is over: every page queued and none of its deliveries pending or
running. Marking it (``finished_at``) records campaign.finished in the same transaction.

Asked at the end of ``start`` and ``cancel``, by the worker's observer when a
campaign's deliveries end (at most once a second per campaign: near its end, each
check reads the campaign's delivery rows until it finds one still to send), and by
the observer's periodic sweep, which catches whatever the throttle or a crash left.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import campaigns, deliveries
from herald.events import Event, record
from herald.events.schemas import CampaignCounts, CampaignFinished
from herald.queue import State

THROTTLE_SECONDS = 1.0
c, d = campaigns, deliveries
_OPEN = ~exists(
    select(d.c.id).where(
        d.c.campaign == cast(c.c.id, String), d.c.state.in_([State.PENDING, State.RUNNING])
    )
)
_DUE = (c.c.all_queued_at.is_not(None), c.c.finished_at.is_(None))


class CampaignFinish:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._asked: dict[int, float] = {}  # campaign -> when last checked (monotonic)

    async def soon(self, campaign_ids: Iterable[int]) -> int:
        """``finish`` for those of ``campaign_ids`` not checked within the last second."""
        now = self._clock.monotonic()
        self._asked = {i: t for i, t in self._asked.items() if now - t < THROTTLE_SECONDS}
        due = set(campaign_ids) - set(self._asked)
        if not due:
            return 0
        self._asked.update(dict.fromkeys(due, now))
        return await self.finish(due)

    async def finish(self, campaign_ids: Collection[int] | None = None) -> int:
        """Mark the campaigns that are over (of ``campaign_ids``, else all) finished, each
        with its event; returns how many. Read first, so the write lock is taken only
        when there is something to mark; the UPDATE checks again."""
        query = select(c.c.id).where(*_DUE, _OPEN).limit(100)
        if campaign_ids is not None:
            if not campaign_ids:
                return 0
            query = query.where(c.c.id.in_(list(campaign_ids)))
        async with self._db.read() as conn:
            over = [int(r.id) for r in await conn.execute(query)]
        if not over:
            return 0
        now = self._clock.now()
        async with self._db.write() as conn:
            rows = (
                await conn.execute(
                    update(c)
                    .where(c.c.id.in_(over), *_DUE, _OPEN)
                    .values(finished_at=now)
                    .returning(c.c.id, c.c.name, c.c.channel, c.c.status, c.c.queued, c.c.skipped)
                )
            ).all()
            await record(conn, await _events(conn, rows, now))
        return len(rows)


async def _events(conn: AsyncConnection, rows: Sequence[Any], now: datetime) -> list[Event]:
    if not rows:
        return []
    counted = await conn.execute(
        select(d.c.campaign, d.c.state, func.count())
        .where(d.c.campaign.in_([str(r.id) for r in rows]))
        .group_by(d.c.campaign, d.c.state)
    )
    counts: dict[str, dict[str, int]] = {}
    for tag, state, n in counted:
        counts.setdefault(tag, {})[state] = int(n)
    return [
        CampaignFinished(
            campaign_id=r.id,
            name=r.name,
            channel=r.channel,
            status="cancelled" if r.status == "cancelled" else "finished",
            queued=r.queued,
            skipped=r.skipped,
            counts=CampaignCounts(
                sent=(mine := counts.get(str(r.id), {})).get(State.SENT, 0),
                dead=mine.get(State.DEAD, 0),
                cancelled=mine.get(State.CANCELLED, 0),
            ),
            finished_at=now,
        ).event(now)
        for r in rows
    ]
