"""The post log, read back: each run of a schedule with its per-chat posts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from herald.db import Database
from herald.db.tables import schedule_posts, schedule_runs
from herald.scheduling.actions import ActionEntry, actions_of_runs


@dataclass(frozen=True, slots=True)
class PostEntry:
    chat_id: str
    status: str  # queued, sent, failed
    delivery_id: int | None
    message_id: str | None
    error: str | None
    updated_at: datetime
    topic_id: int | None = None  # a forum topic's message_thread_id
    actions: tuple[ActionEntry, ...] = ()  # pins, unpins, edits, deletes: oldest first
    messages: list[dict[str, Any]] | None = None  # a media post's (scheduling/posted.py)


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    schedule_id: int
    slot_at: datetime | None  # None: a manual run
    trigger: str
    status: str
    content_id: int | None
    content_kind: str | None
    position: int | None
    chats: int
    posted_to: int
    failed: int
    detail: str | None
    claimed_by: str
    created_at: datetime
    finished_at: datetime | None
    posts: tuple[PostEntry, ...] = ()

    @classmethod
    def from_row(cls, row: Any, posts: tuple[PostEntry, ...] = ()) -> Run:
        m = row._mapping
        return cls(**{k: m[k] for k in _RUN_FIELDS}, posts=posts)


_RUN_FIELDS = [c.name for c in schedule_runs.columns]


class RunLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def runs(self, schedule_id: int, *, limit: int = 50) -> list[Run]:
        """The schedule's runs, newest first, each with its posts."""
        r = schedule_runs
        query = select(r).where(r.c.schedule_id == schedule_id).order_by(r.c.id.desc())
        return await self._with_posts(query.limit(limit))

    async def run(self, run_id: int) -> Run | None:
        found = await self._with_posts(select(schedule_runs).where(schedule_runs.c.id == run_id))
        return found[0] if found else None

    async def _with_posts(self, query: Any) -> list[Run]:
        p = schedule_posts
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
            ids = [int(r.id) for r in rows]
            posts: dict[int, list[PostEntry]] = {i: [] for i in ids}
            if ids:
                found = await conn.execute(select(p).where(p.c.run_id.in_(ids)).order_by(p.c.id))
                actions = await actions_of_runs(conn, ids)
                for post in found:
                    posts[int(post.run_id)].append(
                        PostEntry(
                            post.chat_id,
                            post.status,
                            post.delivery_id,
                            post.message_id,
                            post.error,
                            post.updated_at,
                            post.topic_id or None,
                            tuple(actions.get(int(post.id), ())),
                            post.messages,
                        )
                    )
        return [Run.from_row(r, tuple(posts[int(r.id)])) for r in rows]
