"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a queue.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# The largest id the API and CLI accept: every id column is a signed 64-bit integer,
# and a larger number would reach the driver as an overflow (a 500), not a 422.
MAX_ID = 2**62


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on both backends.

    SQLite has no time zone type: values are stored as naive UTC text in a fixed-width
    format, so string comparison orders them correctly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@lru_cache(maxsize=256)
def sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime stores, for inserts that bypass it. Cached:
    a batch's rows mostly share their times (its ``now``), formatted once so."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
