"""The file_ids Telegram gave for the library's files, per bot: each file is uploaded once.

Telegram answers an upload with the file's ``file_id`` (a photo's largest size's), valid
for that bot only; sending that id instead of the bytes posts the same file without an
upload. The ids are kept per media and bot (a token's hash), in the database so every
replica and restart reuses them. One that Telegram no longer knows is forgotten and
the file uploaded again (``channels/telegram/media_post.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import delete, insert, select

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import media_files


class FileIds:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, media_ids: Sequence[int], bot: str) -> dict[int, str]:
        t = media_files
        if not media_ids:
            return {}
        query = select(t.c.media_id, t.c.file_id).where(
            t.c.bot == bot, t.c.media_id.in_(list(set(media_ids)))
        )
        async with self._db.read() as conn:
            return {int(r.media_id): str(r.file_id) for r in await conn.execute(query)}

    async def remember(self, file_ids: Mapping[int, str], bot: str) -> None:
        if not file_ids:
            return
        t, now = media_files, self._clock.now()
        async with self._db.write() as conn:
            await conn.execute(delete(t).where(t.c.bot == bot, t.c.media_id.in_(list(file_ids))))
            await conn.execute(
                insert(t),
                [{"media_id": m, "bot": bot, "file_id": f, "updated_at": now}
                 for m, f in file_ids.items()],
            )  # fmt: skip

    async def forget(self, media_ids: Sequence[int], bot: str) -> None:
        t = media_files
        async with self._db.write() as conn:
            await conn.execute(delete(t).where(t.c.bot == bot, t.c.media_id.in_(list(media_ids))))
