"""Where a click goes: the stored targets of tracked links and the promos clicked.

Every click looks up what it names, so the lookups are cached for a few seconds per
process (a burst after a popular post then costs no database read per click). The
API's edits drop their entries at once; other processes see an edit within the TTL.
Only what herald stored can come out of here, which is why ``/r/`` is no open
redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import tracked_links
from herald.scheduling.content import ContentItem, ContentStore
from herald.tracking.signing import LinkRef

TTL_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    promo_id: int | None
    cta: int | None
    cta_text: str | None
    link_id: int | None = None


@dataclass(frozen=True, slots=True)
class TrackedLink:
    id: int
    target_url: str
    promo_id: int | None
    label: str | None
    created_at: datetime


class Targets:
    def __init__(self, db: Database, content: ContentStore, clock: Clock) -> None:
        self._db = db
        self._content = content
        self._clock = clock
        self._items: dict[int, tuple[float, ContentItem | None]] = {}
        self._links: dict[int, tuple[float, TrackedLink | None]] = {}

    async def content(self, content_id: int) -> ContentItem | None:
        now = self._clock.monotonic()
        cached = self._items.get(content_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        item = await self._content.get(content_id)
        self._items[content_id] = (now + TTL_SECONDS, item)
        return item

    def forget(self, content_id: int) -> None:
        self._items.pop(content_id, None)

    async def link(self, link_id: int) -> TrackedLink | None:
        now = self._clock.monotonic()
        cached = self._links.get(link_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._db.read() as conn:
            row = (
                await conn.execute(select(tracked_links).where(tracked_links.c.id == link_id))
            ).first()
        found = (
            TrackedLink(row.id, row.target_url, row.promo_id, row.label, row.created_at)
            if row
            else None
        )
        self._links[link_id] = (now + TTL_SECONDS, found)
        return found

    async def resolve(self, ref: LinkRef) -> Target | None:
        """The stored target a verified token names, or None if it names nothing (any
        more): a deleted promo, a button that is no longer a link."""
        if ref.link_id is not None:
            link = await self.link(ref.link_id)
            if link is None:
                return None
            return Target(link.target_url, link.promo_id, None, link.label, link.id)
        assert ref.content_id is not None and ref.cta is not None
        item = await self.content(ref.content_id)
        if item is None or ref.cta >= len(item.buttons):
            return None
        button = item.buttons[ref.cta]
        if button.url is None:
            return None
        return Target(button.url, item.id, ref.cta, button.text)

    async def register(self, target_url: str, promo_id: int | None, label: str | None) -> int:
        async with self._db.write() as conn:
            new_id = await conn.scalar(
                insert(tracked_links)
                .values(
                    target_url=target_url,
                    promo_id=promo_id,
                    label=label,
                    created_at=self._clock.now(),
                )
                .returning(tracked_links.c.id)
            )
        assert new_id is not None
        return int(new_id)
