"""A list of ids bound as one parameter, for ``WHERE id IN (...)`` on hot paths.

SQLAlchemy's expanding ``IN`` binds and processes one parameter per id and renders the
statement again for each length, which cost more CPU than the database's own work for
the fan-out's batches and ``/r/``'s cold links (docs/benchmarks.md). Here the ids go in
as one value: a JSON array that SQLite's ``json_each`` reads, a ``bigint[]`` on
PostgreSQL; the statement's text is the same whatever their number.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def among(dialect: str, position: int) -> str:
    """``IN`` the ids bound at ``position`` (1-based, for PostgreSQL's ``$n``), as SQL to
    put after the column."""
    if dialect == "postgresql":
        return f"= ANY(${position}::bigint[])"
    return "IN (SELECT value FROM json_each(?))"


def bound(dialect: str, ids: Sequence[int]) -> Any:
    """The value to bind for ``among``."""
    return list(ids) if dialect == "postgresql" else json.dumps(list(ids))
