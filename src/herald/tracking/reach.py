"""Reach beside clicks: members of the chats a promo reached, and CTR per promo, chat
and post.

Each sent post keeps its chat's member count (``scheduling/reach.py``). A promo's
``members_reached`` adds, over the distinct chats it was sent to, each chat's latest
count among the promo's posts: people who could have seen it at least once, so that it
divides unique people (unique human clickers) into a rate. Chats whose count is unknown
are left out of it and counted in ``chats_without_count``. A chat's clicks are its
presses and the clicks on links that name it (a scheduled post's links do); a post's
are the presses on its messages and the clicks on links that name its chat and run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.db.tables import clicks, schedule_posts, schedule_runs
from herald.tracking.clicks import clicker, flagged, human


@dataclass(frozen=True, slots=True)
class Members:
    """A promo's reach: distinct chats it was sent to and their members."""

    chats_reached: int
    members_reached: int
    chats_without_count: int


@dataclass(frozen=True, slots=True)
class ChatReach:
    chat_id: str
    posts: int  # sent posts of the promo in this chat
    members: int | None  # the chat's latest count among them
    clicks: int
    unique_clickers: int
    flagged: int
    click_through_rate: float | None  # unique clickers / members


@dataclass(frozen=True, slots=True)
class PostReach:
    run_id: int
    chat_id: str
    message_id: str | None
    sent_at: datetime
    members: int | None
    clicks: int
    unique_clickers: int
    flagged: int
    click_through_rate: float | None
    variant: str | None = None  # the A/B variant it showed


def rate(unique: int, members: int | None) -> float | None:
    return round(unique / members, 4) if members else None


async def _chat_members(conn: AsyncConnection, ids: Sequence[int]) -> list[Any]:
    """(content_id, chat_id, posts, latest count) per chat each item was sent to."""
    p, r = schedule_posts, schedule_runs
    latest = (
        select(
            r.c.content_id,
            p.c.chat_id,
            p.c.member_count,
            func.row_number()
            .over(
                partition_by=(r.c.content_id, p.c.chat_id),
                order_by=(p.c.members_at.is_(None), p.c.members_at.desc()),
            )
            .label("nth"),
            func.count().over(partition_by=(r.c.content_id, p.c.chat_id)).label("posts"),
        )
        .join(r, r.c.id == p.c.run_id)
        .where(r.c.content_id.in_(ids), p.c.status == "sent")
        .subquery()
    )
    query = select(latest.c.content_id, latest.c.chat_id, latest.c.posts, latest.c.member_count)
    return list((await conn.execute(query.where(latest.c.nth == 1))).all())


async def members(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, Members]:
    """Each item's chats reached and members reached."""
    sums: dict[int, list[int]] = {}
    for row in await _chat_members(conn, ids):
        chats, people, unknown = sums.setdefault(int(row.content_id), [0, 0, 0])
        known = row.member_count is not None
        sums[int(row.content_id)] = [
            chats + 1,
            people + (int(row.member_count) if known else 0),
            unknown + (0 if known else 1),
        ]
    return {item: Members(*figures) for item, figures in sums.items()}


def _click_figures() -> list[Any]:
    return [
        func.count().filter(human()).label("n"),
        func.count(clicker().distinct()).filter(human()).label("unique"),
        flagged().label("flagged"),
    ]


async def by_chat(conn: AsyncConnection, promo_id: int) -> list[ChatReach]:
    """Every chat the promo was sent to or pressed in, most unique clickers first."""
    c = clicks.c
    pressed = {
        str(row.chat_id): row
        for row in await conn.execute(
            select(c.chat_id, *_click_figures())
            .where(c.promo_id == promo_id, c.chat_id.is_not(None))
            .group_by(c.chat_id)
        )
    }
    sent = {str(r.chat_id): r for r in await _chat_members(conn, [promo_id])}
    chats = []
    for chat_id in sent.keys() | pressed.keys():
        post, click = sent.get(chat_id), pressed.get(chat_id)
        count = int(post.member_count) if post and post.member_count is not None else None
        unique = int(click.unique) if click else 0
        chats.append(
            ChatReach(
                chat_id=chat_id,
                posts=int(post.posts) if post else 0,
                members=count,
                clicks=int(click.n) if click else 0,
                unique_clickers=unique,
                flagged=int(click.flagged) if click else 0,
                click_through_rate=rate(unique, count),
            )
        )
    return sorted(chats, key=lambda x: (-x.unique_clickers, -(x.members or 0), x.chat_id))


def _post_keys(posts: Sequence[Any]) -> dict[tuple[str, str], int]:
    """Where a click finds its post (an index into ``posts``): a press by its chat and
    message (any of a media post's messages: an album's buttons are on one of their
    own), a link click by its chat and the run its token names (``~<run>``)."""
    keys: dict[tuple[str, str], int] = {}
    for index, post in enumerate(posts):
        chat = str(post.chat_id)
        keys.setdefault((chat, f"~{post.run_id}"), index)
        shown = [post.message_id, *(m["message_id"] for m in post.messages or ())]
        for message_id in shown:
            if message_id is not None:
                keys.setdefault((chat, str(message_id)), index)
    return keys


async def by_post(conn: AsyncConnection, promo_id: int, limit: int = 200) -> list[PostReach]:
    """The promo's sent posts, newest first, each with the presses on its messages and
    the clicks on its links, unique clickers counted over both."""
    p, r, c = schedule_posts, schedule_runs, clicks.c
    posts = (
        await conn.execute(
            select(
                p.c.run_id,
                p.c.chat_id,
                p.c.message_id,
                p.c.messages,
                p.c.updated_at,
                p.c.member_count,
                p.c.variant,
            )
            .join(r, r.c.id == p.c.run_id)
            .where(r.c.content_id == promo_id, p.c.status == "sent")
            .order_by(p.c.updated_at.desc(), p.c.id.desc())
            .limit(limit)
        )
    ).all()
    keys = _post_keys(posts)
    who = clicker().label("who")
    # one row per (post's key, clicker, flag): no more rows than clickers, so the
    # unique count across presses and links is a set per post
    rows = await conn.execute(
        select(c.run_id, c.chat_id, c.message_id, who, c.flag, func.count().label("n"))
        .where(
            c.promo_id == promo_id,
            c.chat_id.is_not(None),
            or_(c.run_id.is_not(None), c.message_id.is_not(None)),
        )
        .group_by(c.run_id, c.chat_id, c.message_id, who, c.flag)
    )
    people = [0] * len(posts)
    hits = [0] * len(posts)
    clickers: list[set[str]] = [set() for _ in posts]
    for row in rows:
        where = f"~{row.run_id}" if row.run_id is not None else str(row.message_id)
        index = keys.get((str(row.chat_id), where))
        if index is None:
            continue
        if row.flag is not None:
            hits[index] += int(row.n)
            continue
        people[index] += int(row.n)
        if row.who is not None:
            clickers[index].add(row.who)
    out = []
    for index, post in enumerate(posts):
        unique = len(clickers[index])
        count = int(post.member_count) if post.member_count is not None else None
        out.append(
            PostReach(
                run_id=int(post.run_id),
                chat_id=str(post.chat_id),
                message_id=post.message_id,
                sent_at=post.updated_at,
                members=count,
                clicks=people[index],
                unique_clickers=unique,
                flagged=hits[index],
                click_through_rate=rate(unique, count),
                variant=post.variant,
            )
        )
    return out
