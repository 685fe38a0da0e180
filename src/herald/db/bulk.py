"""Multi-row INSERTs for batches, and ids reserved before the rows exist.

SQLAlchemy's per-row parameter processing costs more than the database's own work at a
few thousand rows, so batch writers hand the driver ready-made values: one multi-row
``VALUES`` statement on SQLite, one ``INSERT ... SELECT FROM unnest(arrays)`` on
PostgreSQL (a fixed statement whatever the row count, so it is prepared once).

``reserve_ids`` lets a writer know the ids of rows it is about to insert, so that rows
pointing at each other (a notification and its first delivery) go in with one INSERT per
table and no UPDATE after, and so that a batch needs no assumption about the order of
``RETURNING`` rows, which neither database promises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cached_property, lru_cache
from typing import Any, cast

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from herald.db.types import sqlite_time


class Kind(Enum):
    PLAIN = "plain"
    JSON = "json"  # a Python value, stored as JSON text
    TIME = "time"  # an aware datetime


@dataclass(frozen=True, slots=True)
class Col:
    name: str
    pg_type: str  # the element type of its unnest array, e.g. "bigint", "text"
    kind: Kind = Kind.PLAIN


@dataclass(frozen=True)
class BulkInsert:
    """One table's multi-row INSERT: values for ``columns`` come in as row tuples.

    ``constants`` are (column, SQL literal) pairs the same for every row; ``tail`` is
    what follows the rows (``ON CONFLICT ... RETURNING ...``).
    """

    table: str
    columns: tuple[Col, ...]
    constants: tuple[tuple[str, str], ...] = ()
    tail: str = ""

    @cached_property
    def _head(self) -> str:
        names = [c.name for c in self.columns] + [name for name, _ in self.constants]
        return f"INSERT INTO {self.table} ({', '.join(names)}) "

    @cached_property
    def _pg_sql(self) -> str:
        select = [f"{c.name}::json" if c.kind is Kind.JSON else c.name for c in self.columns]
        select += [literal for _, literal in self.constants]
        arrays = ", ".join(
            f"${i}::{'text' if c.kind is Kind.JSON else c.pg_type}[]"
            for i, c in enumerate(self.columns, 1)
        )
        names = ", ".join(c.name for c in self.columns)
        return (
            f"{self._head}SELECT {', '.join(select)} FROM unnest({arrays}) AS t({names})"
            f"{self._tail}"
        )

    @cached_property
    def _tail(self) -> str:
        return f" {self.tail}" if self.tail else ""

    @lru_cache(maxsize=16)  # noqa: B019 (instances are module constants)
    def _sqlite_sql(self, rows: int) -> str:
        one = "(" + ", ".join(["?"] * len(self.columns) + [v for _, v in self.constants]) + ")"
        return f"{self._head}VALUES {', '.join([one] * rows)}{self._tail}"

    async def run(self, conn: AsyncConnection, rows: Sequence[Sequence[Any]]) -> list[Row[Any]]:
        """Insert ``rows`` in one statement; returns the ``RETURNING`` rows, if any."""
        if not rows:
            return []
        if conn.dialect.name == "postgresql":
            arrays = tuple(
                [_pg_value(c.kind, r[i]) for r in rows] for i, c in enumerate(self.columns)
            )
            result = await conn.exec_driver_sql(self._pg_sql, arrays)
        else:
            params = [v for r in self._sqlite_rows(rows) for v in r]
            result = await conn.exec_driver_sql(self._sqlite_sql(len(rows)), tuple(params))
        return list(result.all()) if result.returns_rows else []

    @cached_property
    def _converted(self) -> tuple[tuple[int, Kind], ...]:
        return tuple((i, c.kind) for i, c in enumerate(self.columns) if c.kind is not Kind.PLAIN)

    def _sqlite_rows(self, rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
        """The rows with their time and JSON values as SQLite stores them; the plain
        values (most of them) pass untouched, with no call per value."""
        converted = self._converted
        if not converted:
            return rows
        out = []
        for r in rows:
            row = list(r)
            for i, kind in converted:
                row[i] = _sqlite_value(kind, row[i])
            out.append(row)
        return out


def _pg_value(kind: Kind, value: Any) -> Any:
    return json.dumps(value) if kind is Kind.JSON and value is not None else value


def _sqlite_value(kind: Kind, value: Any) -> Any:
    if value is None or kind is Kind.PLAIN:
        return value
    return json.dumps(value) if kind is Kind.JSON else sqlite_time(value)


async def reserve_ids(conn: AsyncConnection, wanted: Mapping[str, int]) -> dict[str, list[int]]:
    """Fresh ids for each table's ``id`` column (``{table: how many}``), in one statement,
    inside ``conn``'s write transaction.

    PostgreSQL: from each column's sequence (never handed out twice, even to other
    transactions). SQLite: after the largest id, which is what SQLite would pick itself;
    safe because the write transaction (``BEGIN IMMEDIATE``) excludes every other writer
    until it commits.
    """
    tables = [t for t, n in wanted.items() if n > 0]
    out: dict[str, list[int]] = {t: [] for t in wanted}
    if not tables:
        return out
    if conn.dialect.name == "postgresql":
        sql = " UNION ALL ".join(
            f"SELECT {i}, nextval(pg_get_serial_sequence('{t}', 'id')) "
            f"FROM generate_series(1, ${i + 1}::int)"
            for i, t in enumerate(tables)
        )
        result = await conn.exec_driver_sql(sql, tuple(wanted[t] for t in tables))
        for row in result.all():
            which, id_ = cast(tuple[int, int], tuple(row))
            out[tables[which]].append(int(id_))
        return out
    sql = "SELECT " + ", ".join(f"(SELECT coalesce(max(id), 0) FROM {t})" for t in tables)
    last = (await conn.exec_driver_sql(sql)).one()
    for t, top in zip(tables, last, strict=True):
        out[t] = list(range(int(top) + 1, int(top) + 1 + wanted[t]))
    return out
