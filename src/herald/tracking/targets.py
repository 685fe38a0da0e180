"""Where a click goes: the stored targets of tracked links and the promos clicked.

Every click looks up what it names, so the lookups are cached for a few seconds per
process (a burst after a popular post then costs no database read per click). The
API's edits drop their entries at once; other processes see an edit within the TTL.
Only what herald stored can come out of here, which is why ``/r/`` is no open
redirect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import insert

from herald.clock import Clock
from herald.db import Database
from herald.db.ids import among, bound
from herald.db.tables import tracked_links
from herald.scheduling.content import ContentItem, ContentStore
from herald.tracking.signing import LinkRef

TTL_SECONDS = 5.0
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    promo_id: int | None
    cta: int | None
    cta_text: str | None
    link_id: int | None = None
    variant: str | None = None


@dataclass(frozen=True, slots=True)
class TrackedLink:
    id: int
    target_url: str
    promo_id: int | None
    label: str | None


class _Cached(Generic[K, V]):
    """A small read-through cache: one load per key at a time, stale while reloading.

    Every click looks its target up; when an entry expires during a burst, the first
    request reloads it in the background and the others keep the stale value, instead
    of all of them queueing on the database at once.
    """

    def __init__(self, load: Callable[[K], Awaitable[V]], clock: Clock, ttl: float) -> None:
        self._load = load
        self._clock = clock
        self._ttl = ttl
        self._entries: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K) -> V:
        entry = self._entries.get(key)
        if entry is not None:
            if entry[0] <= self._clock.monotonic() and key not in self._loading:
                self._start(key)
            return entry[1]
        future = self._loading.get(key) or self._start(key)
        return await asyncio.shield(future)

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def _start(self, key: K) -> asyncio.Future[V]:
        future = asyncio.ensure_future(self._fill(key))
        self._loading[key] = future
        future.add_done_callback(lambda f: f.exception() if not f.cancelled() else None)
        return future

    async def _fill(self, key: K) -> V:
        try:
            value = await self._load(key)
            self._entries[key] = (self._clock.monotonic() + self._ttl, value)
            return value
        finally:
            self._loading.pop(key, None)


def label(item: ContentItem, cta: int, variant: str | None) -> str:
    """Button ``cta``'s text as the click's post showed it: the variant's label while
    its test runs (after it ended, the kept one's is the item's own)."""
    own = item.buttons[cta].text
    test = item.testing
    if variant is None or test is None or variant not in test.names:
        return own
    return test.variant(variant).label(cta, own)


class _Batched(Generic[K, V]):
    """Loads of single keys gathered into one query: the keys asked for while a query
    runs (or in the same turn of the event loop) go together in the next one.

    A cold ``/r/`` link costs a database read, and a read's connection checkout and the
    round trips to SQLite's thread cost ten times the query itself; under a burst of
    many cold links, one ``IN (...)`` for all those waiting keeps that cost per batch.
    """

    def __init__(
        self, load_many: Callable[[list[K]], Awaitable[dict[K, V]]], most: int = 500
    ) -> None:
        self._load_many = load_many
        self._most = most
        self._waiting: dict[K, asyncio.Future[V | None]] = {}
        self._running: asyncio.Future[None] | None = None

    async def load(self, key: K) -> V | None:
        future = self._waiting.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._waiting[key] = future
            if self._running is None:
                self._running = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            await asyncio.sleep(0)  # this turn's other requests join the first batch
            while self._waiting:
                keys = list(self._waiting)[: self._most]
                batch = {key: self._waiting.pop(key) for key in keys}
                try:
                    found = await self._load_many(keys)
                except Exception as exc:
                    for future in batch.values():
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for key, future in batch.items():
                    if not future.done():
                        future.set_result(found.get(key))
        finally:
            self._running = None


class Targets:
    def __init__(self, db: Database, content: ContentStore, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._items: _Cached[int, ContentItem | None] = _Cached(content.get, clock, TTL_SECONDS)
        self._link_reads: _Batched[int, TrackedLink] = _Batched(self._load_links)
        self._links: _Cached[int, TrackedLink | None] = _Cached(
            self._link_reads.load, clock, TTL_SECONDS
        )
        content.on_change(self.forget)  # an edit here is seen at once, not after the TTL

    async def content(self, content_id: int) -> ContentItem | None:
        return await self._items.get(content_id)

    def forget(self, content_id: int) -> None:
        self._items.forget(content_id)

    async def link(self, link_id: int) -> TrackedLink | None:
        return await self._links.get(link_id)

    async def _load_links(self, link_ids: list[int]) -> dict[int, TrackedLink]:
        """One statement for a batch of cold links, the ids bound as one value
        (``herald.db.ids``): SQLAlchemy's expanding IN doubled a cold link's CPU."""
        dialect = self._db.dialect
        sql = (
            "SELECT id, target_url, promo_id, label FROM tracked_links "
            f"WHERE id {among(dialect, 1)}"
        )
        async with self._db.read() as conn:
            rows = (await conn.exec_driver_sql(sql, (bound(dialect, link_ids),))).all()
        found = (tuple(r) for r in rows)
        return {int(i): TrackedLink(int(i), url, promo, text) for i, url, promo, text in found}

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
        return Target(
            button.url, item.id, ref.cta, label(item, ref.cta, ref.variant), None, ref.variant
        )

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
