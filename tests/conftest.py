"""Shared fixtures: a real PostgreSQL server for the session, a fresh database per
test on both backends, a fake clock, a queue wired to them, and JSON log capture."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator, Iterator
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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (no schema yet) on each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/herald.db"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"herald_test_{next(_db_names)}")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await migrate.upgrade(database)
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
