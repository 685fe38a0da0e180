"""Database access: the engine wrapper, the schema and its migrations."""

from __future__ import annotations

from herald.db.database import Database, DatabaseUnavailable, is_outage

__all__ = ["Database", "DatabaseUnavailable", "is_outage"]
