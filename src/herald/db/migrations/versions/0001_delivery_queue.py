"""The delivery queue and the sandbox inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import BigId, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PENDING = sa.text("state = 'pending'")
RUNNING = sa.text("state = 'running'")


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("lane", sa.SmallInteger, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(1024), nullable=False),
        sa.Column("ordering_key", sa.String(1024)),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("run_at", UTCDateTime, nullable=False),
        sa.Column("locked_until", UTCDateTime),
        sa.Column("locked_by", sa.String(128)),
        sa.Column("last_error", sa.Text),
        sa.Column("provider_message_id", sa.String(255)),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("campaign", sa.String(128)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("idempotency_key", name="uq_deliveries_idempotency_key"),
    )
    op.create_index(
        "ix_deliveries_claim",
        "deliveries",
        ["channel", "lane", "run_at", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index(
        "ux_deliveries_running_key",
        "deliveries",
        ["ordering_key"],
        unique=True,
        sqlite_where=RUNNING,
        postgresql_where=RUNNING,
    )
    op.create_index(
        "ix_deliveries_lease",
        "deliveries",
        ["locked_until"],
        sqlite_where=RUNNING,
        postgresql_where=RUNNING,
    )
    op.create_index("ix_deliveries_state_finished", "deliveries", ["state", "finished_at"])
    op.create_index("ix_deliveries_campaign", "deliveries", ["campaign"])

    op.create_table(
        "sandbox_messages",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", BigId),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(1024), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sandbox_messages"),
    )
    op.create_index("ix_sandbox_messages_channel_id", "sandbox_messages", ["channel", "id"])


def downgrade() -> None:
    op.drop_table("sandbox_messages")
    op.drop_table("deliveries")
