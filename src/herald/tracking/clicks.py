"""The clicks store: every click as it came, written in small batches.

The platform's semantics (ClicksStore): every click is kept, with no de-duplication at
write time, and is queryable by user and by promo. Writing is batched because a popular
post brings a burst of clicks: ``record`` only appends to a buffer (and makes the caller
wait, for the next batch to be written, only when the buffer is full), and one task
writes it out every few milliseconds
as one multi-row INSERT. ``close`` writes what is left, so a shutdown loses nothing; a
failed write keeps its batch and tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.db import Database, is_outage
from herald.db.bulk import BulkInsert, Col, Kind
from herald.db.tables import clicks
from herald.events import Event, EventType, iso, new_event_ids, record
from herald.events.schemas.clicks import click_subject
from herald.metrics import Metrics

log = structlog.get_logger("herald.tracking")


# Not frozen: a frozen dataclass sets each of its fields through object.__setattr__,
# which cost /r/ a few µs per click; nothing changes a click once made.
@dataclass(slots=True)
class NewClick:
    source: str  # callback, link
    clicked_at: datetime
    promo_id: int | None = None
    cta: int | None = None
    cta_text: str | None = None
    link_id: int | None = None
    telegram_user_id: int | None = None
    username: str | None = None
    recipient: str | None = None
    chat_id: str | None = None
    message_id: int | None = None
    meta: dict[str, Any] | None = field(default=None)
    flag: str | None = None  # why this hit was no person (tracking.humans); None: it was
    variant: str | None = None  # the A/B variant the click's token named
    run_id: int | None = None  # the schedule run whose post the link was on (its token's)


@dataclass(frozen=True, slots=True)
class ClickRow:
    id: int
    source: str
    clicked_at: datetime
    promo_id: int | None
    cta: int | None
    cta_text: str | None
    link_id: int | None
    telegram_user_id: int | None
    username: str | None
    recipient: str | None
    chat_id: str | None
    message_id: int | None
    meta: dict[str, Any] | None
    flag: str | None
    variant: str | None
    run_id: int | None

    @classmethod
    def from_row(cls, row: Any) -> ClickRow:
        return cls(**{name: row._mapping[name] for name in cls.__slots__})


@dataclass(frozen=True, slots=True)
class ClickQuery:
    promo_id: int | None = None
    telegram_user_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # newest first: the page after this id

    def where(self) -> list[Any]:
        c = clicks.c
        conditions: list[Any] = []
        if self.promo_id is not None:
            conditions.append(c.promo_id == self.promo_id)
        if self.telegram_user_id is not None:
            conditions.append(c.telegram_user_id == self.telegram_user_id)
        if self.since is not None:
            conditions.append(c.clicked_at >= self.since)
        if self.until is not None:
            conditions.append(c.clicked_at < self.until)
        if self.before_id is not None:
            conditions.append(c.id < self.before_id)
        return conditions


class ClickStore:
    def __init__(
        self,
        db: Database,
        metrics: Metrics,
        *,
        batch_size: int = 1000,
        flush_seconds: float = 0.05,
        max_buffer: int = 20_000,
    ) -> None:
        self._db = db
        self._metrics = metrics
        self._batch_size = batch_size
        self._flush_seconds = flush_seconds
        self._max_buffer = max_buffer
        self._buffer: list[NewClick] = []
        self._wake = asyncio.Event()
        self._room = asyncio.Event()  # set while the buffer is below max_buffer
        self._room.set()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    # -- writing --------------------------------------------------------------------

    async def record(self, click: NewClick) -> None:
        """Keep the click; it is written within ``flush_seconds`` (or at ``close``).

        With ``max_buffer`` clicks waiting, the caller waits for room: until the writer
        has taken its next batch off the buffer, not for the whole backlog to be
        written, which held every press and ``/r/`` request in flight for a second and
        more once the writer fell behind a burst (docs/benchmarks.md). While the
        database is away, callers at the bound wait for it; their clicks are kept.
        """
        while self._task is not None and len(self._buffer) >= self._max_buffer:
            self._room.clear()
            self._wake.set()
            await self._room.wait()
        self._buffer.append(click)
        if self._task is None:
            await self.flush()  # no writer running (or it stopped while we waited)
        elif len(self._buffer) >= self._batch_size:
            self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._closing = False
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Stop the writer and write everything still buffered."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        backoff = self._flush_seconds
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), backoff)
            self._wake.clear()
            try:
                await self.flush()
                backoff = self._flush_seconds
            except Exception as exc:  # the database is away: keep the clicks, try again
                log.warning(
                    "clicks_write_failed", buffered=len(self._buffer), error=_first_line(exc)
                )
                backoff = min(max(backoff * 2, 0.1), 5.0)

    async def flush(self) -> int:
        """Write everything buffered now; returns how many clicks were written.

        An outage raises (the caller retries; the clicks stay buffered). A batch the
        database refuses for its data is written row by row instead, so one bad row is
        dropped with a log line rather than holding back every click behind it.
        """
        written = 0
        async with self._lock:
            while self._buffer:
                batch = self._buffer[: self._batch_size]
                try:
                    async with self._db.write() as conn:
                        await _insert(conn, batch)
                except Exception as exc:
                    if is_outage(exc):
                        raise
                    written += await self._one_by_one(len(batch))
                    continue
                self._taken(len(batch))
                written += len(batch)
                self._count(batch)
        return written

    async def _one_by_one(self, size: int) -> int:
        """The first ``size`` buffered clicks, each in its own insert; those refused are
        dropped and logged. Each is taken off the buffer once decided, so an outage
        half-way writes none of them twice."""
        written = 0
        for _ in range(size):
            click = self._buffer[0]
            try:
                async with self._db.write() as conn:
                    await _insert(conn, [click])
            except Exception as exc:
                if is_outage(exc):
                    raise
                log.error("click_refused", promo_id=click.promo_id, error=_first_line(exc))
            else:
                written += 1
                self._count([click])
            self._taken(1)
        return written

    def _taken(self, n: int) -> None:
        """The first ``n`` buffered clicks are decided: off the buffer, room for more."""
        del self._buffer[:n]
        if len(self._buffer) < self._max_buffer:
            self._room.set()

    def _count(self, written: list[NewClick]) -> None:
        for promo, n in Counter(_label(c.promo_id) for c in written).items():
            self._metrics.marketing_clicks.labels(promo).inc(n)

    # -- reading --------------------------------------------------------------------

    async def find(self, query: ClickQuery, *, limit: int = 100) -> list[ClickRow]:
        """Matching clicks, newest first."""
        statement = select(clicks).where(*query.where()).order_by(clicks.c.id.desc())
        async with self._db.read() as conn:
            rows = (await conn.execute(statement.limit(limit))).all()
        return [ClickRow.from_row(r) for r in rows]

    async def counts(self, query: ClickQuery) -> tuple[int, int, int]:
        """(human clicks, unique human clickers, flagged hits) of the matching clicks."""
        statement = select(
            func.count().filter(human()),
            func.count(clicker().distinct()).filter(human()),
            flagged(),
        ).where(*query.where())
        async with self._db.read() as conn:
            total, unique, robots = (await conn.execute(statement)).one()
        return int(total), int(unique), int(robots)


def clicker() -> Any:
    """Who clicked, as one comparable value: the Telegram user, else the recipient a
    link was sent to (an anonymous link click has none and counts in no unique total)."""
    c = clicks.c
    return func.coalesce(
        literal("t:") + cast(c.telegram_user_id, String), literal("r:") + c.recipient
    )


def human() -> Any:
    """A person's click (a flagged hit is not)."""
    return clicks.c.flag.is_(None)


def flagged() -> Any:
    """How many of the rows were flagged hits."""
    return func.count().filter(clicks.c.flag.is_not(None))


# Every column of NewClick, in its field order. The text columns' element types only
# matter on PostgreSQL (unnest's arrays); the database's own column types still apply.
_KINDS = {"clicked_at": Kind.TIME, "meta": Kind.JSON}
_PG_TYPES = {
    "clicked_at": "timestamptz",
    "promo_id": "bigint",
    "link_id": "bigint",
    "cta": "smallint",
    "telegram_user_id": "bigint",
    "message_id": "bigint",
    "run_id": "bigint",
}
_COLUMNS = tuple(f.name for f in fields(NewClick))
_INSERT = BulkInsert(
    "clicks",
    tuple(Col(n, _PG_TYPES.get(n, "text"), _KINDS.get(n, Kind.PLAIN)) for n in _COLUMNS),
)


async def _insert(conn: AsyncConnection, batch: list[NewClick]) -> None:
    """One multi-row INSERT at the driver level on both databases: SQLAlchemy's per-row
    parameter processing costs the event loop more than the insert itself, and an
    executemany makes the database thread take the GIL back once per row, which showed
    as a p99 of hundreds of ms on /r/ (docs/benchmarks.md)."""
    await _INSERT.run(conn, [tuple(getattr(c, n) for n in _COLUMNS) for c in batch])
    # click.recorded for every person's click, in the batch's transaction and one INSERT.
    await record(conn, click_events(batch))


def click_events(batch: list[NewClick]) -> list[Event]:
    """The ``click.recorded`` events of a batch: one per person's click (a flagged hit
    makes none). Built as plain dicts with the batch's ids drawn at once: validating a
    ``ClickRecorded`` per click was a tenth of ``/r/``'s CPU (docs/benchmarks.md);
    tests/unit/events/test_click_data.py holds them to the model."""
    people = [c for c in batch if c.flag is None]
    return [
        Event(
            EventType.CLICK_RECORDED,
            click_subject(c.promo_id, c.link_id),
            _data(c),
            c.clicked_at,
            event_id,
        )
        for c, event_id in zip(people, new_event_ids(len(people)), strict=True)
    ]


def _data(c: NewClick) -> dict[str, Any]:
    return {
        "source": c.source,
        "promo_id": c.promo_id,
        "cta": c.cta,
        "cta_text": c.cta_text,
        "link_id": c.link_id,
        "telegram_user_id": c.telegram_user_id,
        "username": c.username,
        "recipient": c.recipient,
        "chat_id": c.chat_id,
        "message_id": c.message_id,
        "clicked_at": iso(c.clicked_at),
    }


def _label(promo_id: int | None) -> str:
    return str(promo_id) if promo_id is not None else "none"


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
