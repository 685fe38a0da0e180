"""Webhook endpoints and their attempts (herald.webhooks).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import BigId, UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("description", sa.String(500), nullable=False, server_default=""),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(500)),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("previous_secret", sa.String(128)),
        sa.Column("previous_expires_at", UTCDateTime),
        sa.Column("failing_since", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("endpoint_id", BigId, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("delivery_id", BigId),
        sa.Column("attempted_at", UTCDateTime, nullable=False),
        sa.Column("status", sa.Integer()),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.String(500)),
        sa.Column("response", sa.String(500), nullable=False),
    )
    op.create_index("ix_webhook_attempts_endpoint_id_id", "webhook_attempts", ["endpoint_id", "id"])
    op.create_index("ix_webhook_attempts_attempted_at", "webhook_attempts", ["attempted_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_attempts_attempted_at", table_name="webhook_attempts")
    op.drop_index("ix_webhook_attempts_endpoint_id_id", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_endpoints")
