"""Fast multi-row INSERTs for large batches (campaigns).

SQLAlchemy's per-row parameter processing costs more than the database's own
work at 100k rows, so this path hands the driver ready-made values: one
multi-row ``VALUES`` statement per chunk on SQLite, one ``INSERT ... SELECT FROM
unnest(arrays)`` per chunk on PostgreSQL. Both skip rows whose idempotency key
already exists and return the ids actually inserted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from herald.db.types import sqlite_time

# Column order shared by both statements; state and attempts are constants.
COLUMNS = (
    "lane",
    "channel",
    "recipient",
    "ordering_key",
    "payload",
    "max_attempts",
    "run_at",
    "idempotency_key",
    "campaign",
    "created_at",
    "notification_id",
)
_INSERT_HEAD = f"INSERT INTO deliveries ({', '.join(COLUMNS)}, state, attempts) "
_CONFLICT_TAIL = " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"

_PG_SQL = (
    _INSERT_HEAD
    + "SELECT lane, channel, recipient, ordering_key, payload::json, max_attempts, run_at, "
    "idempotency_key, campaign, created_at, notification_id, 'pending', 0 FROM unnest("
    "$1::smallint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], "
    "$7::timestamptz[], $8::text[], $9::text[], $10::timestamptz[], $11::bigint[]) AS t("
    + ", ".join(COLUMNS)
    + ")"
    + _CONFLICT_TAIL
)


@lru_cache(maxsize=8)
def _sqlite_sql(rows: int) -> str:
    one = "(" + ", ".join("?" * len(COLUMNS)) + ", 'pending', 0)"
    return _INSERT_HEAD + "VALUES " + ", ".join([one] * rows) + _CONFLICT_TAIL


async def insert_rows(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts with COLUMNS) in one statement; returns how many were new."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        arrays = tuple(
            [json.dumps(r[c]) for r in rows] if c == "payload" else [r[c] for r in rows]
            for c in COLUMNS
        )
        result = await conn.exec_driver_sql(_PG_SQL, arrays)
    else:
        params: list[Any] = []
        for r in rows:
            params += (
                r["lane"],
                r["channel"],
                r["recipient"],
                r["ordering_key"],
                json.dumps(r["payload"]),
                r["max_attempts"],
                sqlite_time(r["run_at"]),
                r["idempotency_key"],
                r["campaign"],
                sqlite_time(r["created_at"]),
                r["notification_id"],
            )
        result = await conn.exec_driver_sql(_sqlite_sql(len(rows)), tuple(params))
    return len(result.all())


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
)


@lru_cache(maxsize=8)
def _sqlite_update_sql(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * rows)
    return (
        f"WITH u(id, state, run_at, delta, error, pmid, finished) AS (VALUES {values}) "
        "UPDATE deliveries " + _UPDATE_SET + " FROM u" + _UPDATE_WHERE + "?"
    )


async def update_outcomes(
    conn: AsyncConnection, updates: Sequence[OutcomeUpdate], worker: str
) -> None:
    """Apply many outcomes with one UPDATE ... FROM (unnest on PostgreSQL, VALUES on SQLite)."""
    if not updates:
        return
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql(
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
        return
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
    await conn.exec_driver_sql(_sqlite_update_sql(len(updates)), tuple(params))
