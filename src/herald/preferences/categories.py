"""Categories of campaign messages (signals, promos, education...), defined by the
operator; recipients opt out of them per channel, and a category may cap its own
daily messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import categories
from herald.preferences.model import PreferenceRuleError

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_KEY = re.compile(KEY_PATTERN)


class CategoryExists(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"a category {key!r} exists already")
        self.key = key


class CategoryNotFound(LookupError):
    def __init__(self, key: str) -> None:
        super().__init__(f"no category {key!r}")
        self.key = key


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    name: str
    description: str = ""
    daily_cap: int | None = None  # None: the channel's default cap
    created_at: datetime | None = None


def checked(category: Category) -> Category:
    """The category if it may be stored; PreferenceRuleError names the field if not."""
    if not _KEY.match(category.key):
        raise PreferenceRuleError(
            ("key",), "must be 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit"
        )
    if not category.name.strip() or len(category.name) > 128:
        raise PreferenceRuleError(("name",), "must be 1-128 characters")
    if len(category.description) > 1000:
        raise PreferenceRuleError(("description",), "must be at most 1000 characters")
    if category.daily_cap is not None and category.daily_cap < 0:
        raise PreferenceRuleError(("daily_cap",), "must be 0 or more")
    return category


class CategoryStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def create(self, category: Category) -> Category:
        category = checked(category)
        now = self._clock.now()
        try:
            async with self._db.write() as conn:
                if await conn.scalar(
                    select(categories.c.id).where(categories.c.key == category.key)
                ):
                    raise CategoryExists(category.key)
                await conn.execute(
                    insert(categories).values(
                        key=category.key,
                        name=category.name,
                        description=category.description,
                        daily_cap=category.daily_cap,
                        created_at=now,
                    )
                )
        except IntegrityError:  # a concurrent create of the same key won
            raise CategoryExists(category.key) from None
        return Category(category.key, category.name, category.description, category.daily_cap, now)

    async def list(self) -> list[Category]:
        async with self._db.read() as conn:
            rows = (await conn.execute(select(categories).order_by(categories.c.key))).all()
        return [_category(r) for r in rows]

    async def get(self, key: str) -> Category:
        async with self._db.read() as conn:
            row = (await conn.execute(select(categories).where(categories.c.key == key))).first()
        if row is None:
            raise CategoryNotFound(key)
        return _category(row)

    async def keys(self) -> set[str]:
        async with self._db.read() as conn:
            return set((await conn.scalars(select(categories.c.key))).all())


def _category(row: object) -> Category:
    r = row._mapping  # type: ignore[attr-defined]
    return Category(r["key"], r["name"], r["description"], r["daily_cap"], r["created_at"])
