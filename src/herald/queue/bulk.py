"""The queue's batch statements: deliveries inserted, outcomes recorded, many at once.

Both go through ready-made values rather than SQLAlchemy's per-row processing (see
``herald.db.bulk``): a campaign's chunk is one INSERT, a round of outcomes one UPDATE.
Inserts skip rows whose idempotency key already exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from herald.db.bulk import BulkInsert, Col, Kind
from herald.db.types import sqlite_time

_COLUMNS = (
    Col("lane", "smallint"),
    Col("channel", "text"),
    Col("recipient", "text"),
    Col("ordering_key", "text"),
    Col("payload", "text", Kind.JSON),
    Col("max_attempts", "int"),
    Col("run_at", "timestamptz", Kind.TIME),
    Col("idempotency_key", "text"),
    Col("campaign", "text"),
    Col("created_at", "timestamptz", Kind.TIME),
    Col("notification_id", "bigint"),
)
COLUMNS = tuple(c.name for c in _COLUMNS)
_NEW = (("state", "'pending'"), ("attempts", "0"))
_TAIL = "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
_INSERT = BulkInsert("deliveries", _COLUMNS, _NEW, _TAIL)
# Rows whose ids the writer reserved (``herald.db.bulk.reserve_ids``).
_INSERT_WITH_IDS = BulkInsert("deliveries", (Col("id", "bigint"), *_COLUMNS), _NEW, _TAIL)


async def insert_rows(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts with COLUMNS, and ``id`` if reserved) in one statement;
    returns how many were new (an existing idempotency key skips its row)."""
    if not rows:
        return 0
    if "id" in rows[0]:
        inserted = await _INSERT_WITH_IDS.run(
            conn, [(r["id"], *(r[c] for c in COLUMNS)) for r in rows]
        )
    else:
        inserted = await _INSERT.run(conn, [tuple(r[c] for c in COLUMNS) for r in rows])
    return len(inserted)


@dataclass(frozen=True, slots=True)
class OutcomeUpdate:
    id: int
    state: str
    run_at: datetime
    attempts_delta: int
    error: str | None
    provider_message_id: str | None
    finished_at: datetime | None


_UPDATE_SET = (
    "SET state = u.state, run_at = u.run_at, attempts = deliveries.attempts + u.delta, "
    "last_error = u.error, provider_message_id = u.pmid, finished_at = u.finished, "
    "locked_until = NULL, locked_by = NULL"
)
# Guarded by state and owner: a worker whose lease was lost changes nothing.
_UPDATE_WHERE = (
    " WHERE deliveries.id = u.id AND deliveries.state = 'running' AND deliveries.locked_by = "
)
# The rows the guard let through: their outcomes are the ones that count.
_RETURNING = " RETURNING deliveries.id"
_PG_UPDATE_SQL = (
    "UPDATE deliveries "
    + _UPDATE_SET
    + " FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], "
    "$6::text[], $7::timestamptz[]) AS u(id, state, run_at, delta, error, pmid, finished)"
    + _UPDATE_WHERE
    + "$8"
    # Redundant with the join, but lets the planner fetch by primary key even when the
    # table has no statistics yet (otherwise it hash-joins a full scan per batch).
    + " AND deliveries.id = ANY($1::bigint[])"
    + _RETURNING
)


@lru_cache(maxsize=8)
def _sqlite_update_sql(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * rows)
    return (
        f"WITH u(id, state, run_at, delta, error, pmid, finished) AS (VALUES {values}) "
        "UPDATE deliveries " + _UPDATE_SET + " FROM u" + _UPDATE_WHERE + "?" + _RETURNING
    )


async def update_outcomes(
    conn: AsyncConnection, updates: Sequence[OutcomeUpdate], worker: str
) -> set[int]:
    """Apply many outcomes with one UPDATE ... FROM (unnest on PostgreSQL, VALUES on
    SQLite); returns the ids it changed (not those whose lease ``worker`` lost)."""
    if not updates:
        return set()
    if conn.dialect.name == "postgresql":
        result = await conn.exec_driver_sql(
            _PG_UPDATE_SQL,
            (
                [u.id for u in updates],
                [u.state for u in updates],
                [u.run_at for u in updates],
                [u.attempts_delta for u in updates],
                [u.error for u in updates],
                [u.provider_message_id for u in updates],
                [u.finished_at for u in updates],
                worker,
            ),
        )
        return {int(row[0]) for row in result}
    params: list[Any] = []
    for u in updates:
        params += (
            u.id,
            u.state,
            sqlite_time(u.run_at),
            u.attempts_delta,
            u.error,
            u.provider_message_id,
            sqlite_time(u.finished_at) if u.finished_at else None,
        )
    params.append(worker)
    result = await conn.exec_driver_sql(_sqlite_update_sql(len(updates)), tuple(params))
    return {int(row[0]) for row in result}
