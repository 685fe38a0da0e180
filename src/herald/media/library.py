"""The media library: files uploaded or fetched once, kept in the database, sent by id.

Bytes live in the ``media`` table (``data``), not on a disk: every replica of a
PostgreSQL deployment reads the same rows, and at Telegram's sizes (at most 50 MB)
a row is a fine home. Rows are read without their bytes except to serve or upload one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import media
from herald.media.kinds import MediaKind, MediaRefused, check_photo, check_size, kind_for
from herald.media.sniff import sniff

MAX_NAME = 255
_COLUMNS = [c for c in media.c if c.name != "data"]


@dataclass(frozen=True, slots=True)
class Media:
    id: int
    kind: MediaKind
    mime: str
    size: int
    name: str
    sha256: str
    width: int | None
    height: int | None
    source_url: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Media:
        m = row._mapping
        return cls(
            id=int(m["id"]),
            kind=MediaKind(m["kind"]),
            mime=m["mime"],
            size=int(m["size"]),
            name=m["name"],
            sha256=m["sha256"],
            width=m["width"],
            height=m["height"],
            source_url=m["source_url"],
            created_at=m["created_at"],
        )


def clean_name(name: str | None, fallback: str = "file") -> str:
    """A file name to show and to send: no directories, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:MAX_NAME] or fallback


class MediaLibrary:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def add(
        self,
        data: bytes,
        *,
        name: str | None,
        kind: MediaKind | None = None,
        source_url: str | None = None,
        field: str = "file",
    ) -> Media:
        """Keep a file as the kind asked for (else the one its content says), or
        MediaRefused naming ``field`` (``kind`` when the kind does not fit the file)."""
        if not data:
            raise MediaRefused(field, "the file is empty")
        sniffed = sniff(data)
        if sniffed is None:
            raise MediaRefused(
                field,
                "not a type herald sends (JPEG, PNG, WebP, GIF, MP4, PDF, ZIP...), "
                "judged by the file's content, not its name",
            )
        chosen = kind_for(sniffed.mime, kind)
        check_size(chosen, len(data), field)
        if chosen is MediaKind.PHOTO:
            check_photo(sniffed.width, sniffed.height, field)
        values = {
            "kind": chosen.value,
            "mime": sniffed.mime,
            "size": len(data),
            "name": clean_name(name),
            "sha256": hashlib.sha256(data).hexdigest(),
            "width": sniffed.width,
            "height": sniffed.height,
            "source_url": source_url,
            "data": data,
            "created_at": self._clock.now(),
        }
        async with self._db.write() as conn:
            new_id = await conn.scalar(insert(media).values(values).returning(media.c.id))
        assert new_id is not None
        found = await self.get(int(new_id))
        assert found is not None
        return found

    async def get(self, media_id: int) -> Media | None:
        async with self._db.read() as conn:
            row = (await conn.execute(select(*_COLUMNS).where(media.c.id == media_id))).first()
        return Media.from_row(row) if row else None

    async def many(self, ids: Sequence[int]) -> dict[int, Media]:
        if not ids:
            return {}
        async with self._db.read() as conn:
            rows = (await conn.execute(select(*_COLUMNS).where(media.c.id.in_(list(ids))))).all()
        return {int(r.id): Media.from_row(r) for r in rows}

    async def latest(self, limit: int = 100, before_id: int | None = None) -> list[Media]:
        """Newest first."""
        query = select(*_COLUMNS).order_by(media.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(media.c.id < before_id)
        async with self._db.read() as conn:
            return [Media.from_row(r) for r in await conn.execute(query)]

    async def content(self, media_id: int) -> bytes | None:
        """The file's bytes (None if there is no such file)."""
        async with self._db.read() as conn:
            data = await conn.scalar(select(media.c.data).where(media.c.id == media_id))
        return None if data is None else bytes(data)
