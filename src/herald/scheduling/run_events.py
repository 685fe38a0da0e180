"""schedule.run.finished: a run's posts, chat by chat, read in the transaction that
marks the run done."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.db.tables import schedule_posts, schedule_runs, schedules
from herald.events import Event
from herald.events.schemas import ChatPost, ScheduleRunFinished


async def run_finished(conn: AsyncConnection, run_id: int, now: datetime) -> Event:
    p, runs = schedule_posts, schedule_runs
    run = (
        await conn.execute(
            select(runs, schedules.c.name.label("schedule_name"))
            .join(schedules, schedules.c.id == runs.c.schedule_id)
            .where(runs.c.id == run_id)
        )
    ).one()
    posts = (
        await conn.execute(
            select(p.c.chat_id, p.c.topic_id, p.c.status, p.c.message_id, p.c.error)
            .where(p.c.run_id == run_id)
            .order_by(p.c.id)
        )
    ).all()
    return ScheduleRunFinished(
        run_id=run_id,
        schedule_id=run.schedule_id,
        schedule=run.schedule_name,
        trigger=run.trigger,
        slot_at=run.slot_at,
        content_id=run.content_id,
        content_kind=run.content_kind,
        posted_to=run.posted_to,
        failed=run.failed,
        chats=[
            ChatPost(
                chat_id=post.chat_id,
                topic_id=post.topic_id or None,  # 0 is the chat itself
                status=post.status,
                message_id=post.message_id,
                error=post.error,
            )
            for post in posts
        ],
        finished_at=now,
    ).event(now)
