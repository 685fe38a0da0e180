"""Run and check Alembic migrations over herald's own async engine."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from herald.db.database import Database

# Serializes concurrent `herald serve` start-ups on PostgreSQL.
_MIGRATION_LOCK_ID = 0x6865_7261_6C64  # "herald"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "herald.db:migrations")
    return config


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def upgrade(db: Database, revision: str = "head") -> None:
    async with db.write() as conn:
        if db.dialect == "postgresql":
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
            )
        await conn.run_sync(_upgrade, revision)


async def current_revisions(db: Database) -> set[str]:
    async with db.read() as conn:
        return await conn.run_sync(_current)


async def is_current(db: Database) -> bool:
    return await current_revisions(db) == head_revisions()
