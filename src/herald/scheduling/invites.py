"""Invite links of join buttons: one per (promo, target chat, chat posted in, variant).

A promo's ``join_chat_id`` button invites to a group or channel through an invite link
herald creates (``createChatInviteLink``, named after the promo: its title cut to
Telegram's 32 characters). Telegram's ``chat_member`` update names the link a person
joined by, and nothing about where they found it, so a link shared by every chat could
only count joins per promo; one link per chat the promo is posted in makes the joins
per source chat known as well (``tracking.joins``), and while an A/B test runs one per
variant as well, so a join says which variant's post it came from (a fact, where
"the variant last posted in that chat" would be a guess: an older post's link works too).

Links are made before a slot's transaction (``prepare``: a Bot API call must not hold
the database's write lock), once per (target, source, variant), every variant's at
once (which chat shows which variant is decided in the run's transaction); a refusal
is stored with Telegram's reason and tried again at the next post. The run's
transaction reads what is there (``links_for``): a chat whose link could not be made
gets a failed post naming the button and the reason, never a post with a dead button.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.channels.telegram.errors import TelegramCallError
from herald.clock import Clock
from herald.db import Database
from herald.db.tables import invite_links
from herald.scheduling.content import ContentItem

MAX_NAME = 32  # Telegram's limit on an invite link's name
NO_BOT = "no bot token: invite links are made with the Bot API (createChatInviteLink)"
log = structlog.get_logger("herald.scheduling")


class InviteMaker(Protocol):
    """What makes a link (``channels.telegram.client.BotApi``)."""

    async def create_invite_link(self, chat_id: str, name: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Link:
    url: str | None
    error: str | None  # why Telegram would not make it


def link_name(title: str, variant: str = "") -> str:
    """The promo's title cut to Telegram's limit, with `` [A]`` for a variant's link."""
    suffix = f" [{variant}]" if variant else ""
    return title.strip()[: MAX_NAME - len(suffix)] + suffix


def variants_of(item: ContentItem) -> list[str]:
    """The variants whose posts need links of their own ("": no test running)."""
    return list(item.testing.names) if item.testing is not None else [""]


def missing_reason(target: str, link: Link | None) -> str:
    why = link.error if link is not None and link.error else "not made yet"
    return f"no invite link to {target} for this chat: {why}"


class InviteLinks:
    def __init__(self, db: Database, clock: Clock, maker: InviteMaker | None) -> None:
        self._db = db
        self._clock = clock
        self._maker = maker

    async def prepare(self, item: ContentItem, sources: Sequence[str]) -> int:
        """Make the links ``item``'s join buttons need in ``sources``; returns how many
        were made now (refusals are stored with the reason)."""
        targets = item.join_targets
        if not targets or not sources:
            return 0
        async with self._db.read() as conn:
            have = await links_for(conn, item.id, targets, sources)
        made = 0
        for target in targets:
            for source in dict.fromkeys(sources):
                for variant in variants_of(item):
                    known = have.get((target, source, variant))
                    if known is not None and known.url is not None:
                        continue
                    name = link_name(item.title, variant)
                    url, error = await self._make(target, name)
                    key = (item.id, target, source, variant)
                    await self._store(key, name, url, error, known is not None)
                    made += url is not None
        return made

    async def _make(self, target: str, name: str) -> tuple[str | None, str | None]:
        if self._maker is None:
            return None, NO_BOT
        try:
            return await self._maker.create_invite_link(target, name), None
        except TelegramCallError as exc:
            log.warning("invite_link_refused", chat_id=target, error=str(exc))
            return None, str(exc)
        except ValueError as exc:
            return None, str(exc)

    async def _store(
        self,
        key: tuple[int, str, str, str],
        name: str,
        url: str | None,
        error: str | None,
        exists: bool,
    ) -> None:
        """Store the link of ``key`` (content, target, source, variant)."""
        t, now = invite_links, self._clock.now()
        values = {"invite_link": url, "name": name, "error": error, "updated_at": now}
        content_id, target, source, variant = key
        try:
            async with self._db.write() as conn:
                if exists:
                    await conn.execute(
                        update(t)
                        .where(
                            t.c.content_id == content_id,
                            t.c.target_chat_id == target,
                            t.c.source_chat_id == source,
                            t.c.variant == variant,
                            t.c.invite_link.is_(None),
                        )
                        .values(values)
                    )
                else:
                    await conn.execute(
                        insert(t).values(
                            content_id=content_id,
                            target_chat_id=target,
                            source_chat_id=source,
                            variant=variant,
                            created_at=now,
                            **values,
                        )
                    )
        except IntegrityError:  # another process stored this link first: theirs stands
            return


async def links_for(
    conn: AsyncConnection, content_id: int, targets: Sequence[str], sources: Sequence[str]
) -> dict[tuple[str, str, str], Link]:
    """The stored links by (target, source, variant), made or refused ("": no test)."""
    t = invite_links
    if not targets or not sources:
        return {}
    rows = await conn.execute(
        select(
            t.c.target_chat_id, t.c.source_chat_id, t.c.variant, t.c.invite_link, t.c.error
        ).where(
            t.c.content_id == content_id,
            t.c.target_chat_id.in_(list(targets)),
            t.c.source_chat_id.in_(list(dict.fromkeys(sources))),
        )
    )
    return {
        (r.target_chat_id, r.source_chat_id, r.variant): Link(r.invite_link, r.error) for r in rows
    }
