"""PreferenceStore: recipients' preferences in the database, read one at a time (the
API, the pages) or for a whole claimed batch in one statement (the dispatch gate)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy import column as sql_column
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from herald.channel import Channel
from herald.clock import Clock
from herald.db import Database
from herald.db.tables import (
    audience_counts,
    categories,
    deliveries,
    recipient_opt_outs,
    recipient_preferences,
)
from herald.preferences import choices
from herald.preferences.model import PreferenceRuleError, Preferences, QuietHours

# (recipient id, channel, local day "YYYY-MM-DD", cap bucket): a daily count's key
CountKey = tuple[int, str, str, str]


class PreferenceStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, recipient_id: int) -> Preferences:
        """The recipient's preferences (the defaults if they chose nothing)."""
        return (await self.get_many([recipient_id]))[recipient_id]

    async def get_many(self, recipient_ids: Collection[int]) -> dict[int, Preferences]:
        """Every one of ``recipient_ids``'s preferences, with one statement."""
        return (await self.batch(recipient_ids))[0]

    async def batch(
        self, recipient_ids: Collection[int], days: Collection[str] = ()
    ) -> tuple[dict[int, Preferences], dict[CountKey, int]]:
        """The recipients' preferences and, for ``days``, their daily counts (the
        dispatch gate's read of a claimed batch): one statement."""
        ids = list(dict.fromkeys(recipient_ids))
        if not ids:
            return {}, {}
        postgres = self._db.dialect == "postgresql"
        params: dict[str, Any] = {"ids": ids if postgres else json.dumps(ids)}
        if days:
            params["days"] = list(days) if postgres else json.dumps(list(days))
        async with self._db.single_read() as conn:
            found = (await conn.execute(_batch_statement(postgres, bool(days)), params)).all()
        zones: dict[int, Preferences] = {}
        refused: dict[int, list[choices.Row]] = {}
        counts: dict[CountKey, int] = {}
        for kind, rid, a, b, c3, n in found:
            if kind == "z":
                zones[rid] = Preferences(timezone=a, quiet_hours=_quiet(b, c3))
            elif kind == "o":
                refused.setdefault(rid, []).append((a, b))
            else:
                counts[rid, a, b, c3] = int(n)
        # Most recipients of a batch have chosen nothing: they share one frozen default
        # (building one per recipient was most of the gate's time on a 500-row batch).
        everything = Preferences()
        prefs = {
            rid: choices.from_rows(zones.get(rid, everything), refused.get(rid, ()))
            if rid in zones or rid in refused
            else everything
            for rid in ids
        }
        return prefs, counts

    async def take_slots(
        self, wanted: Mapping[CountKey, int], caps: Mapping[CountKey, int | None]
    ) -> set[CountKey]:
        """Add ``wanted`` to the daily counts where the sum stays within the key's cap
        (None: no cap); returns the keys refused, unchanged. The check and the addition
        are one statement per distinct cap (an upsert whose update is conditional), so
        two workers judging one recipient at once cannot both take its last slot."""
        if not wanted:
            return set()
        c = audience_counts.c
        make = pg_insert if self._db.dialect == "postgresql" else sqlite_insert
        by_cap: dict[int | None, list[CountKey]] = {}
        for key in wanted:
            by_cap.setdefault(caps[key], []).append(key)
        taken: set[CountKey] = set()
        async with self._db.write() as conn:
            for cap, keys in by_cap.items():
                stmt = make(audience_counts).values(
                    [
                        {
                            "recipient_id": r,
                            "channel": ch,
                            "day": day,
                            "bucket": b,
                            "sent": wanted[r, ch, day, b],
                        }
                        for r, ch, day, b in keys
                    ]
                )
                stmt = stmt.on_conflict_do_update(
                    index_elements=["recipient_id", "channel", "day", "bucket"],
                    set_={"sent": c.sent + stmt.excluded.sent},
                    where=None if cap is None else c.sent + stmt.excluded.sent <= cap,
                )
                done = await conn.execute(
                    stmt.returning(c.recipient_id, c.channel, c.day, c.bucket)
                )
                taken.update((r, ch, day, b) for r, ch, day, b in done.all())
        return set(wanted) - taken

    async def forget_counts(self, before_day: str) -> int:
        """Drop the counts of days before ``before_day`` (no cap looks back)."""
        async with self._db.write() as conn:
            done = await conn.execute(
                delete(audience_counts).where(audience_counts.c.day < before_day)
            )
        return int(done.rowcount)

    async def put(self, recipient_id: int, prefs: Preferences, *, source: str = "api") -> None:
        """Replace the recipient's preferences; refusals kept keep their source and time.

        PreferenceRuleError names a category that does not exist.
        """
        async with self._db.write() as conn:
            await _known(conn, prefs.categories)
            await self._put_zone(conn, recipient_id, prefs)
            await self._put_rows(conn, recipient_id, choices.rows(prefs), source)

    async def unsubscribe(
        self, recipient_id: int, *, category: str | None, channel: Channel | None, source: str
    ) -> Preferences:
        """Refuse ``category`` (None: every one) on ``channel`` (None: every one)."""
        return await self._change(recipient_id, category, channel, source, choices.unsubscribed)

    async def resubscribe(
        self, recipient_id: int, *, category: str | None, channel: Channel | None, source: str
    ) -> Preferences:
        """Accept again ``category`` (None: every one) on ``channel`` (None: every one)."""
        return await self._change(recipient_id, category, channel, source, choices.resubscribed)

    async def _change(
        self,
        recipient_id: int,
        category: str | None,
        channel: Channel | None,
        source: str,
        change: Callable[[Preferences, str | None, Channel | None, set[str]], Preferences],
    ) -> Preferences:
        async with self._db.write() as conn:
            known = set((await conn.scalars(select(categories.c.key))).all())
            if category is not None and category not in known:
                raise _unknown(category)
            changed = change(await self._read(conn, recipient_id), category, channel, known)
            await self._put_rows(conn, recipient_id, choices.rows(changed), source)
        return changed

    async def _read(self, conn: AsyncConnection, recipient_id: int) -> Preferences:
        p, o = recipient_preferences.c, recipient_opt_outs.c
        zone = (
            await conn.execute(
                select(p.timezone, p.quiet_start, p.quiet_end).where(p.recipient_id == recipient_id)
            )
        ).first()
        base = Preferences()
        if zone is not None:
            tz, start, end = zone
            base = Preferences(timezone=tz, quiet_hours=_quiet(start, end))
        stored = (
            await conn.execute(select(o.category, o.channel).where(o.recipient_id == recipient_id))
        ).all()
        return choices.from_rows(base, [(c, ch) for c, ch in stored])

    async def _put_zone(self, conn: AsyncConnection, recipient_id: int, prefs: Preferences) -> None:
        start, end = prefs.quiet_hours.as_text() if prefs.quiet_hours else (None, None)
        values: dict[str, Any] = {
            "timezone": prefs.timezone,
            "quiet_start": start,
            "quiet_end": end,
            "updated_at": self._clock.now(),
        }
        p = recipient_preferences.c
        done = await conn.execute(
            update(recipient_preferences).where(p.recipient_id == recipient_id).values(**values)
        )
        if not done.rowcount:
            await conn.execute(
                insert(recipient_preferences).values(recipient_id=recipient_id, **values)
            )

    async def _put_rows(
        self, conn: AsyncConnection, recipient_id: int, wanted: set[choices.Row], source: str
    ) -> None:
        o = recipient_opt_outs.c
        stored = {
            (c, ch)
            for c, ch in (
                await conn.execute(
                    select(o.category, o.channel).where(o.recipient_id == recipient_id)
                )
            ).all()
        }
        if gone := stored - wanted:
            await conn.execute(
                delete(recipient_opt_outs).where(
                    o.recipient_id == recipient_id,
                    or_(*(and_(o.category == c, o.channel == ch) for c, ch in gone)),
                )
            )
        if new := wanted - stored:
            now = self._clock.now()
            await conn.execute(
                insert(recipient_opt_outs),
                [
                    {
                        "recipient_id": recipient_id,
                        "category": c,
                        "channel": ch,
                        "source": source[:32],
                        "created_at": now,
                    }
                    for c, ch in sorted(new)
                ],
            )


@functools.cache
def _batch_statement(postgres: bool, with_counts: bool) -> Any:
    """The gate's read, built once per shape: the ids and days are one array (PostgreSQL)
    or JSON (SQLite) parameter each, so the text never changes with the batch's size and
    no per-id parameter is rendered (500 of them cost the gate most of its CPU)."""
    p, o, c = recipient_preferences.c, recipient_opt_outs.c, audience_counts.c
    text, number = cast(null(), String), cast(null(), Integer)

    def among(column: Any, name: str, kind: Any) -> Any:
        if postgres:
            return column == any_(bindparam(name, type_=ARRAY(kind)))
        listed: Any = select(sql_column("value")).select_from(func.json_each(bindparam(name)))
        return column.in_(listed.scalar_subquery())

    parts = [
        select(literal("z"), p.recipient_id, p.timezone, p.quiet_start, p.quiet_end, number).where(
            among(p.recipient_id, "ids", BigInteger)
        ),
        select(literal("o"), o.recipient_id, o.category, o.channel, text, number).where(
            among(o.recipient_id, "ids", BigInteger)
        ),
    ]
    if with_counts:
        parts.append(
            select(literal("c"), c.recipient_id, c.channel, c.day, c.bucket, c.sent).where(
                among(c.recipient_id, "ids", BigInteger), among(c.day, "days", String)
            )
        )
    return union_all(*parts)


@functools.cache
def chose_anything(dialect: str) -> ColumnElement[Any]:
    """For the claim to compute with each delivery (worker/gate.py's annotation): whether
    the recipient its audience mark names stored any preference (a time zone, quiet
    hours, a refusal); NULL when the mark names none the database can read. Built once
    per dialect (the claim's statement cache is keyed by it). The recipient id is read
    only where it is a whole number, so a malformed mark never fails the claim."""
    path = "$.audience.recipient_id"
    if dialect == "postgresql":
        raw = deliveries.c.payload[("audience", "recipient_id")].as_string()
        readable = raw.regexp_match("^-?[0-9]{1,18}$")
    else:
        raw = func.json_extract(deliveries.c.payload, path)
        readable = func.json_type(deliveries.c.payload, path) == "integer"
    rid = cast(raw, BigInteger)
    p, o = recipient_preferences.c, recipient_opt_outs.c
    chose = or_(
        exists().where(p.recipient_id == rid).correlate(deliveries),
        exists().where(o.recipient_id == rid).correlate(deliveries),
    )
    return case((readable, chose), else_=null())


def _quiet(start: str | None, end: str | None) -> QuietHours | None:
    return QuietHours.parse(start, end) if start and end else None


async def _known(conn: AsyncConnection, keys: Collection[str]) -> None:
    if not keys:
        return
    found = set(
        (await conn.scalars(select(categories.c.key).where(categories.c.key.in_(list(keys))))).all()
    )
    for key in keys:
        if key not in found:
            raise _unknown(key)


def _unknown(key: str) -> PreferenceRuleError:
    return PreferenceRuleError(("categories", key), f"no category {key!r}")
