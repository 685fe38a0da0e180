"""Which ``/r/`` hits were people: the rest are stored with a flag saying why not.

Telegram fetches every link it previews (``TelegramBot (like TwitterBot)``), mail and
chat security scanners open links before anyone reads the message, browsers prefetch
links they think will be followed; none of these is a click. A hit is flagged, in this
order of checks:

- ``head``: a ``HEAD`` request (only a program asks for the headers alone);
- ``prefetch``: ``Purpose: prefetch`` or ``Sec-Purpose: prefetch...`` (the browser's
  guess, not the user's click; ``Sec-Purpose: prerender`` too);
- ``preview``: Telegram's link-preview fetcher;
- ``crawler``: any other user agent that crawlerdetect (MIT; its pattern list is
  maintained upstream) knows as a crawler, scanner, library or tool;
- ``scanner``: no ``Accept-Language`` header (every browser sends one; scanners and
  scripts mostly do not) and arriving within ``SCANNER_SECONDS`` of a post of the same
  promo being sent: a person needs longer than that to see a post and tap it.

The user agent's verdict is computed once per distinct agent (an LRU cache: real traffic
repeats a few thousand agents), over a regular expression compiled at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from crawlerdetect import CrawlerDetect
from sqlalchemy import func, select

from herald.clock import Clock
from herald.db import Database
from herald.db.tables import schedule_posts, schedule_runs

SCANNER_SECONDS = 10.0
PREVIEW_AGENT = "TelegramBot"
_SENT_CACHE_SECONDS = 1.0  # how long a promo's last send time is believed


class ClickFlag(StrEnum):
    """Why a stored hit is not counted as a person's click (None: it is)."""

    HEAD = "head"
    PREFETCH = "prefetch"
    PREVIEW = "preview"
    CRAWLER = "crawler"
    SCANNER = "scanner"


_detector = CrawlerDetect()


@lru_cache(maxsize=4096)
def agent_verdict(user_agent: str) -> tuple[ClickFlag, str] | None:
    """(flag, what matched) for a known non-human agent, else None."""
    if PREVIEW_AGENT in user_agent:
        return ClickFlag.PREVIEW, PREVIEW_AGENT
    if _detector.is_crawler(user_agent):
        return ClickFlag.CRAWLER, _detector.get_matches() or "crawler"
    return None


def prefetched(headers: Mapping[str, str]) -> bool:
    purpose = headers.get("sec-purpose") or headers.get("purpose") or ""
    return purpose.startswith(("prefetch", "prerender"))


class LastSends:
    """When each promo was last posted (the post log), believed for a second: asked
    only for hits that already look automated, so a burst costs one query a second."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._cache: dict[int, tuple[float, datetime | None]] = {}

    async def last(self, promo_id: int) -> datetime | None:
        now = self._clock.monotonic()
        cached = self._cache.get(promo_id)
        if cached is not None and now - cached[0] < _SENT_CACHE_SECONDS:
            return cached[1]
        p, r = schedule_posts, schedule_runs
        query = (
            select(func.max(p.c.updated_at))
            .join(r, r.c.id == p.c.run_id)
            .where(r.c.content_id == promo_id, p.c.status == "sent")
        )
        async with self._db.read() as conn:
            value: datetime | None = await conn.scalar(query)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[promo_id] = (now, value)
        return value


class HitFilter:
    """The verdict on one ``/r/`` hit: None for a person, else the flag and its detail."""

    def __init__(self, sends: LastSends, clock: Clock) -> None:
        self._sends = sends
        self._clock = clock
        agent_verdict("warm-up")  # compile crawlerdetect's expressions now, not on a click

    async def verdict(
        self, method: str, headers: Mapping[str, str], promo_id: int | None
    ) -> tuple[ClickFlag, str] | None:
        if method == "HEAD":
            return ClickFlag.HEAD, "HEAD"
        if prefetched(headers):
            return ClickFlag.PREFETCH, headers.get("sec-purpose") or headers.get("purpose") or ""
        agent = headers.get("user-agent")
        if agent and (found := agent_verdict(agent)) is not None:
            return found
        if promo_id is not None and "accept-language" not in headers:
            sent = await self._sends.last(promo_id)
            if sent is not None and self._clock.now() - sent < timedelta(seconds=SCANNER_SECONDS):
                return ClickFlag.SCANNER, f"within {SCANNER_SECONDS:g} s of the post"
        return None
