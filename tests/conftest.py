"""Shared fixtures: a real PostgreSQL server for the session, a fresh database per
test on both backends, a fake clock, a queue wired to them, and JSON log capture.

The schema is migrated once per session (per xdist worker) into a template on each
backend; a test's database is a copy of it (a file copy on SQLite, ``CREATE DATABASE
... TEMPLATE`` on PostgreSQL), which costs a fraction of running the migrations
again. Tests of the migrations themselves take ``empty_database_url``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import structlog

from herald.clock import FakeClock
from herald.config import load_settings
from herald.db import Database, migrate
from herald.logging import configure_logging
from herald.queue import DeliveryQueue, RetryPolicy
from tests.support.postgres import PostgresServer

BACKENDS = ["sqlite", "postgresql"]
_db_names = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow first (in their order), so that the two processes of `make
    test` start the long ones early and finish together, instead of one running a test
    of minutes alone at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.cleanup()


def _migrate(url: str) -> None:
    """Migrate ``url`` to head on a thread of its own, away from the test's event loop."""

    async def run() -> None:
        database = Database(url)
        try:
            await migrate.upgrade(database)
        finally:
            await database.dispose()

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file at the schema's head, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "herald.db"
    _migrate(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """The name of a PostgreSQL database at the schema's head, the template of each test's."""
    name = "herald_template"
    _migrate(postgres_server.create_database(name))
    return name


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of its own on each backend, its schema at head. The SQLite file is
    in a folder of its own: it exists before the test starts, and a test may use its
    tmp_path as a folder that holds only what it puts there."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("db") / "herald.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"herald_test_{next(_db_names)}"
    return server.create_database(name, template=request.getfixturevalue("postgres_template"))


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no schema yet on each backend (tests of the migrations)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/herald.db"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"herald_test_{next(_db_names)}")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


TEST_POLICY = RetryPolicy(max_attempts=5, base_seconds=1.0, max_seconds=300.0, jitter=0.1)


@pytest.fixture
def queue(db: Database, clock: FakeClock) -> DeliveryQueue:
    # rand() == 0.5 puts jitter at exactly zero, so backoff is 1, 2, 4, 8 s.
    return DeliveryQueue(
        db, clock, policies={"telegram": TEST_POLICY, "email": TEST_POLICY}, rand=lambda: 0.5
    )


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """Logging configured for JSON lines on stderr; read them with ``log_lines``."""
    configure_logging(load_settings(env="dev", log_format="json", log_level="debug"))
    try:
        yield capsys
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers[:] = []
