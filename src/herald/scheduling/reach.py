"""Real reach: each sent post keeps its chat's member count (``getChatMemberCount``).

Telegram tells a bot no view counts, so the members of the chat a post went to are the
honest upper bound of who could have seen it. The count is asked through the queue, as
a delivery with the ``member_count`` action (paced by the chat's and the bot's limits
like any call), and at most once per chat per clock hour: a post sent within an hour of
a known count takes that count; otherwise a count is queued, keyed by chat and hour, and
when it comes back every post of that chat sent in the last hour without a count gets
it. A count that fails (the bot may not see members of a channel it is not admin of)
leaves the posts without one: the analytics say how many posts have none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.channel import Channel
from herald.channels.telegram import MEMBER_COUNT
from herald.db.tables import schedule_posts
from herald.queue import Lane, NewDelivery

FRESH = timedelta(hours=1)


async def attach(
    conn: AsyncConnection, delivery_id: int, chat_id: str, campaign: str | None, now: datetime
) -> NewDelivery | None:
    """Give the post of ``delivery_id`` a count of its chat from the last hour, or return
    the count's delivery to queue (None when one was reused)."""
    p = schedule_posts
    known = (
        await conn.execute(
            select(p.c.member_count, p.c.members_at)
            .where(p.c.chat_id == chat_id, p.c.members_at >= now - FRESH)
            .order_by(p.c.members_at.desc())
            .limit(1)
        )
    ).first()
    if known is not None:
        await conn.execute(
            update(p)
            .where(p.c.delivery_id == delivery_id)
            .values(member_count=known.member_count, members_at=known.members_at)
        )
        return None
    return NewDelivery(
        channel=Channel.TELEGRAM,
        recipient=chat_id,
        payload={"action": MEMBER_COUNT},
        lane=Lane.CAMPAIGN,
        campaign=campaign,
        idempotency_key=f"{MEMBER_COUNT}:{chat_id}:{now:%Y%m%d%H}",
    )


async def store(conn: AsyncConnection, chat_id: str, count: int, now: datetime) -> int:
    """The chat's count, on its posts sent in the last hour that have none yet."""
    p = schedule_posts
    done = await conn.execute(
        update(p)
        .where(
            p.c.chat_id == chat_id,
            p.c.status == "sent",
            p.c.member_count.is_(None),
            p.c.updated_at >= now - FRESH,
        )
        .values(member_count=count, members_at=now)
    )
    return int(done.rowcount)
