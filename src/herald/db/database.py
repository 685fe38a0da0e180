"""One async engine per process, with the SQLite settings a queue needs.

Write transactions go through :meth:`Database.write`. On SQLite that issues
``BEGIN IMMEDIATE``: a deferred transaction that reads and then upgrades to a write
fails with SQLITE_BUSY at once, busy timeout or not, because SQLite cannot wait
for a lock it might deadlock on. Taking the write lock up front makes writers
queue on the busy timeout instead.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

_WRITE_OPTION = "herald_write"
# A pooled PostgreSQL connection idle this long is tested before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "herald_idle_since"


class DatabaseUnavailable(Exception):
    """The database could not be reached; the message never contains credentials."""


def is_outage(exc: BaseException) -> bool:
    """The database is away (refused, closed, restarting, locked): wait and retry.
    Other errors, such as a violated constraint, are about the statement and its data."""
    if isinstance(exc, OSError | DatabaseUnavailable | OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def safe_url(url: str) -> str:
    """The URL with its password masked, for logs and error messages."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    def __init__(
        self,
        url: str,
        *,
        sqlite_busy_timeout_ms: int = 10_000,
        echo: bool = False,
        ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
    ):
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": sqlite_busy_timeout_ms / 1000}
        else:
            # Connections idle a while are tested before use (_install_idle_ping), not
            # every one: pool_pre_ping's test is three round trips per checkout.
            kwargs.update(pool_size=10, max_overflow=10)
            # JIT compiles short OLTP statements for longer than they run (the claim's
            # cost estimate crosses jit_above_cost and then spends 15 ms compiling).
            # asyncpg prepares every statement, and a generic plan chosen while a
            # fresh campaign's table has no statistics can scan the whole table per
            # batch; planning each execution costs a fraction of a millisecond.
            kwargs["connect_args"] = {
                "server_settings": {"jit": "off", "plan_cache_mode": "force_custom_plan"}
            }
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _install_sqlite_hooks(self.engine, sqlite_busy_timeout_ms)
        else:
            _install_idle_ping(self.engine, ping_after_idle)
        self._write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that will write (``BEGIN IMMEDIATE`` on SQLite).

        On SQLite the writers of this process also queue on an asyncio lock: SQLite
        makes a writer that finds the database locked sleep and retry (1, 2, 5, 10...
        up to 100 ms at a time), so two writers of one process contending through it
        lose milliseconds per hand-off; the lock hands over at once. Writers of other
        processes still wait on the busy timeout.
        """
        if not self.is_sqlite:
            async with self._write_engine.begin() as conn:
                yield conn
            return
        async with self._sqlite_write_lock(), self._write_engine.begin() as conn:
            yield conn

    def _sqlite_write_lock(self) -> asyncio.Lock:
        # One lock per event loop: tests drive one Database from several loops.
        loop = asyncio.get_running_loop()
        lock = self._write_locks.get(loop)
        if lock is None:
            lock = self._write_locks[loop] = asyncio.Lock()
        return lock

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction; never takes SQLite's write lock."""
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def single_read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one read statement, outside a transaction: on PostgreSQL it
        saves read()'s BEGIN and ROLLBACK, two of its four round trips (the dispatch
        gate reads once per claimed batch). On SQLite it is read()."""
        if self.is_sqlite:
            async with self.read() as conn:
                yield conn
            return
        async with self._autocommit_engine.connect() as conn:
            yield conn

    async def ping(self) -> None:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, DBAPIError, OperationalError) as exc:
            raise DatabaseUnavailable(
                f"cannot connect to {safe_url(self.url)}: {_short_reason(exc)}"
            ) from None

    async def dispose(self) -> None:
        await self.engine.dispose()


def _short_reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).splitlines()[0] if str(orig) else type(orig).__name__


def _install_idle_ping(engine: AsyncEngine, after: float) -> None:
    """Survive a database restart: a pooled connection idle ``after`` seconds or more
    is tested before it is handed out, and a failed test discards the whole pool (as
    pool_pre_ping does). pool_pre_ping tests every checkout, with asyncpg a BEGIN, a
    query and a ROLLBACK: three round trips before each of the worker's claims, gate
    reads and records. A connection back in the pool within the second was alive then;
    if the server went away since, its first statement fails as a disconnect, which
    discards the pool too, and callers treat it as an outage (db.is_outage)."""
    sync_engine = engine.sync_engine
    dialect = sync_engine.dialect

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if dbapi_connection is not None:  # else it was discarded
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        # info is emptied when a connection is replaced: a new one is not tested.
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < after:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.InvalidatePoolError(f"idle connection failed its test: {error}") from error


def _install_sqlite_hooks(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's own BEGIN is always deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
