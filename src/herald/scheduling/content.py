"""Guides and promos: what schedules post, stored in one table.

A guide and a promo have the same shape (a title, a body, buttons); a promo's buttons
are its calls to action, and one of them may be a tracked click (a callback button)
instead of a link. Keeping them in one table lets a playlist mix the two.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import content
from herald.scheduling.options import NO_OPTIONS, PostOptions
from herald.scheduling.variants import Variant, VariantError, VariantTest, next_test


class Kind(StrEnum):
    GUIDE = "guide"
    PROMO = "promo"


class Format(StrEnum):
    """How a body is written: ``plain`` is sent as written; ``markdown`` is herald's
    subset (``scheduling.markup``), sent as text plus entities."""

    PLAIN = "plain"
    MARKDOWN = "markdown"


@dataclass(frozen=True, slots=True)
class Button:
    """A call to action: a link, or (promos) a tracked click, a callback button.

    A callback button without a ``url`` is answered with the promo's alert text; one
    with a ``url`` (``click=True``) is answered with a deep link to the bot, whose
    /start sends the user the offer and that link privately. Links are tracked through
    ``/r/`` when ``HERALD_PUBLIC_URL`` is set. A promo's ``join_chat_id`` button invites
    to that group or channel: its link is herald's own invite link for the promo, the
    target and the chat it is posted in (``scheduling.invites``), whose joins are counted.
    """

    text: str
    url: str | None = None
    click: bool = False
    join_chat_id: str | None = None

    @property
    def callback(self) -> bool:
        return self.click or (self.url is None and self.join_chat_id is None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text}
        if self.url:
            data["url"] = self.url
        if self.click and self.url:
            data["click"] = True
        if self.join_chat_id:
            data["join_chat_id"] = self.join_chat_id
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Button:
        return cls(
            text=str(data["text"]),
            url=data.get("url") or None,
            click=bool(data.get("click")),
            join_chat_id=data.get("join_chat_id") or None,
        )


@dataclass(frozen=True, slots=True)
class ContentItem:
    id: int
    kind: Kind
    title: str
    body: str
    footer: str | None
    buttons: tuple[Button, ...]
    alert_text: str | None
    enabled: bool
    seed_key: str | None
    created_at: datetime
    updated_at: datetime
    format: Format = Format.PLAIN
    options: PostOptions = NO_OPTIONS  # defaults a schedule's options override
    variants: VariantTest | None = None  # an A/B test, running or the last one ended
    media: tuple[int, ...] = ()  # media library ids: a media post (one) or an album

    @property
    def join_targets(self) -> list[str]:
        """The chats its join buttons invite to, each once."""
        return list(dict.fromkeys(b.join_chat_id for b in self.buttons if b.join_chat_id))

    @property
    def testing(self) -> VariantTest | None:
        """The variant test running now, if any."""
        return self.variants if self.variants is not None and self.variants.running else None

    def as_variant(self, variant: Variant) -> ContentItem:
        """The item as this variant shows it: its body, button labels and media."""
        buttons = tuple(
            replace(b, text=variant.label(i, b.text)) for i, b in enumerate(self.buttons)
        )
        return replace(
            self, body=variant.body, buttons=buttons, media=variant.shown_media(self.media)
        )

    @classmethod
    def from_row(cls, row: Any) -> ContentItem:
        m = row._mapping
        return cls(
            id=int(m["id"]),
            kind=Kind(m["kind"]),
            title=m["title"],
            body=m["body"],
            footer=m["footer"],
            buttons=tuple(Button.from_json(b) for b in m["buttons"] or ()),
            alert_text=m["alert_text"],
            enabled=bool(m["enabled"]),
            seed_key=m["seed_key"],
            created_at=m["created_at"],
            updated_at=m["updated_at"],
            format=Format(m["format"]),
            options=PostOptions.from_json(m["options"]),
            variants=VariantTest.from_json(m["variants"]),
            media=tuple(int(i) for i in m["media"] or ()),
        )


@dataclass(frozen=True, slots=True)
class ContentDraft:
    """The fields a user writes; ids and times are the store's."""

    title: str
    body: str
    footer: str | None = None
    buttons: Sequence[Button] = ()
    alert_text: str | None = None
    enabled: bool = True
    format: Format = Format.PLAIN
    options: PostOptions = NO_OPTIONS
    variants: Sequence[Variant] = ()  # a test of 2-4 (promos); empty: none
    media: Sequence[int] = ()

    def unsaved(self, kind: Kind, now: datetime, item_id: int = 0) -> ContentItem:
        """The draft as an item, to preview it before (or without) saving."""
        test = VariantTest(tuple(self.variants), now) if self.variants else None
        return ContentItem(
            item_id, kind, self.title, self.body, self.footer, tuple(self.buttons),
            self.alert_text, self.enabled, None, now, now, self.format, self.options, test,
            tuple(self.media),
        )  # fmt: skip

    def values(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "body": self.body,
            "footer": self.footer,
            "buttons": [b.to_json() for b in self.buttons],
            "alert_text": self.alert_text,
            "enabled": self.enabled,
            "format": self.format.value,
            "options": self.options.to_json() or None,
            "media": list(self.media) or None,
        }


class ContentStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._on_change: list[Callable[[int], None]] = []

    def on_change(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(item_id)`` after an item is changed or deleted here (caches of
        this process: the tracked-link targets)."""
        self._on_change.append(listener)

    def _changed(self, item_id: int) -> None:
        for listener in self._on_change:
            listener(item_id)

    async def create(self, kind: Kind, draft: ContentDraft, *, seed_key: str | None = None) -> int:
        now = self._clock.now()
        test = next_test(None, draft.variants, now)
        async with self._db.write() as conn:
            new_id = await conn.scalar(
                insert(content)
                .values(kind=kind.value, seed_key=seed_key, created_at=now, updated_at=now)
                .values({**draft.values(), "variants": test.to_json() if test else None})
                .returning(content.c.id)
            )
        assert new_id is not None
        return int(new_id)

    async def seed(self, items: Sequence[tuple[Kind, str, ContentDraft]]) -> int:
        """Insert ``(kind, seed_key, draft)`` items in one transaction into an empty table.

        Returns how many were added: 0 when there was content already, or when another
        process seeding at the same moment got there first (its rows hold the seed keys).
        """
        now = self._clock.now()
        rows = [
            {"kind": kind.value, "seed_key": key, "created_at": now, "updated_at": now}
            | draft.values()
            for kind, key, draft in items
        ]
        try:
            async with self._db.write() as conn:
                if await conn.scalar(select(func.count()).select_from(content)):
                    return 0
                await conn.execute(insert(content), rows)
        except IntegrityError:
            return 0
        return len(rows)

    async def get(self, item_id: int, kind: Kind | None = None) -> ContentItem | None:
        query = select(content).where(content.c.id == item_id)
        if kind is not None:
            query = query.where(content.c.kind == kind.value)
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        return ContentItem.from_row(row) if row else None

    async def all(
        self, kind: Kind | None = None, *, enabled_only: bool = False
    ) -> list[ContentItem]:
        query = select(content).order_by(content.c.id)
        if kind is not None:
            query = query.where(content.c.kind == kind.value)
        if enabled_only:
            query = query.where(content.c.enabled.is_(True))
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [ContentItem.from_row(r) for r in rows]

    async def many(self, ids: Sequence[int]) -> dict[int, ContentItem]:
        if not ids:
            return {}
        async with self._db.read() as conn:
            rows = (await conn.execute(select(content).where(content.c.id.in_(ids)))).all()
        return {int(r.id): ContentItem.from_row(r) for r in rows}

    async def update(self, item_id: int, kind: Kind, changes: Mapping[str, Any]) -> bool:
        """Change some fields (``buttons`` as Button values, ``options`` as PostOptions,
        ``variants`` as Variant values: the same ones keep the running test)."""
        values = dict(changes)
        if "buttons" in values:
            values["buttons"] = [b.to_json() for b in values["buttons"]]
        if "format" in values:
            values["format"] = Format(values["format"]).value
        if "options" in values:
            values["options"] = values["options"].to_json() or None
        if "media" in values:
            values["media"] = list(values["media"]) or None
        return await self._write(item_id, kind, values)

    async def replace(self, item_id: int, kind: Kind, draft: ContentDraft) -> bool:
        """Every field a user writes, at once (a form saved whole)."""
        return await self._write(item_id, kind, {**draft.values(), "variants": draft.variants})

    async def end_test(self, item_id: int, kind: Kind, keep: str) -> bool:
        """End the running variant test keeping ``keep``: its body, labels and media
        become the item's own (VariantError: no test running, no such variant)."""
        now = self._clock.now()
        async with self._db.write() as conn:
            row = (
                await conn.execute(
                    select(content).where(content.c.id == item_id, content.c.kind == kind.value)
                )
            ).first()
            if row is None:
                return False
            item = ContentItem.from_row(row)
            if item.testing is None:
                raise VariantError("no variant test is running")
            kept = item.as_variant(item.testing.variant(keep))
            await conn.execute(
                update(content)
                .where(content.c.id == item_id)
                .values(
                    body=kept.body,
                    buttons=[b.to_json() for b in kept.buttons],
                    media=list(kept.media) or None,
                    variants=item.testing.ended(keep, now).to_json(),
                    updated_at=now,
                )
            )
        self._changed(item_id)
        return True

    async def _write(self, item_id: int, kind: Kind, values: dict[str, Any]) -> bool:
        values["updated_at"] = now = self._clock.now()
        async with self._db.write() as conn:
            if "variants" in values:
                current = await conn.scalar(
                    select(content.c.variants).where(content.c.id == item_id)
                )
                test = next_test(VariantTest.from_json(current), values["variants"], now)
                values["variants"] = test.to_json() if test else None
            done = await conn.execute(
                update(content)
                .where(content.c.id == item_id, content.c.kind == kind.value)
                .values(values)
            )
        self._changed(item_id)
        return bool(done.rowcount)

    async def delete(self, item_id: int, kind: Kind) -> bool:
        async with self._db.write() as conn:
            done = await conn.execute(
                delete(content).where(content.c.id == item_id, content.c.kind == kind.value)
            )
        self._changed(item_id)
        return bool(done.rowcount)
