"""The schema, as SQLAlchemy Core tables. Migrations under ``migrations/`` create it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

from herald.db.types import BigId, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# The delivery queue and, once finished, the delivery log.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("lane", SmallInteger, nullable=False),  # 0 transactional, 1 campaign
    Column("channel", String(32), nullable=False),
    Column("recipient", String(1024), nullable=False),
    Column("ordering_key", String(1024)),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("max_attempts", Integer, nullable=False),
    Column("run_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime),
    Column("locked_by", String(128)),
    Column("last_error", Text),
    Column("provider_message_id", String(255)),
    Column("idempotency_key", String(255), unique=True),
    Column("campaign", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Index(
        "ix_deliveries_claim",
        "channel",
        "lane",
        "run_at",
        "id",
        sqlite_where=text("state = 'pending'"),
        postgresql_where=text("state = 'pending'"),
    ),
    # At most one in-flight delivery per ordering key, enforced by the database itself.
    Index(
        "ux_deliveries_running_key",
        "ordering_key",
        unique=True,
        sqlite_where=text("state = 'running'"),
        postgresql_where=text("state = 'running'"),
    ),
    Index(
        "ix_deliveries_lease",
        "locked_until",
        sqlite_where=text("state = 'running'"),
        postgresql_where=text("state = 'running'"),
    ),
    Index("ix_deliveries_state_finished", "state", "finished_at"),
    Index("ix_deliveries_campaign", "campaign"),
)

# What sandbox senders "sent": the inbox of a channel that has no credentials.
sandbox_messages = Table(
    "sandbox_messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", BigId),
    Column("channel", String(32), nullable=False),
    Column("recipient", String(1024), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_sandbox_messages_channel_id", "channel", "id"),
)
