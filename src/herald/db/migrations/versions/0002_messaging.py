"""Messaging: API keys, recipients, push subscriptions, notifications.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import BigId, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_used_at", UTCDateTime),
        sa.Column("revoked_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_table(
        "recipients",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("telegram_chat_id", sa.String(64)),
        sa.Column("telegram_unreachable_at", UTCDateTime),
        sa.Column("telegram_unreachable_reason", sa.String(255)),
        sa.Column("locale", sa.String(16)),
        sa.Column("channels", sa.JSON),
        sa.Column("opted_out", sa.JSON),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recipients"),
        sa.UniqueConstraint("external_id", name="uq_recipients_external_id"),
    )
    op.create_table(
        "push_subscriptions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("recipient_id", BigId, nullable=False),
        sa.Column("endpoint", sa.String(2048), nullable=False),
        sa.Column("p256dh", sa.String(255), nullable=False),
        sa.Column("auth", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_push_subscriptions"),
        sa.UniqueConstraint("endpoint", name="uq_push_subscriptions_endpoint"),
    )
    op.create_index("ix_push_subscriptions_recipient_id", "push_subscriptions", ["recipient_id"])
    op.create_table(
        "notifications",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("recipient_id", BigId, nullable=False),
        sa.Column("template", sa.String(128), nullable=False),
        sa.Column("variables", sa.JSON, nullable=False),
        sa.Column("channels", sa.JSON, nullable=False),
        sa.Column("lane", sa.SmallInteger, nullable=False),
        sa.Column("campaign", sa.String(128)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32)),
        sa.Column("delivery_id", BigId),
        sa.Column("error", sa.Text),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("idempotency_key", name="uq_notifications_idempotency_key"),
    )
    op.create_index("ix_notifications_status", "notifications", ["status"])
    op.create_index("ix_notifications_recipient_id", "notifications", ["recipient_id"])
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("notification_id", BigId))
    op.create_index("ix_deliveries_notification_id", "deliveries", ["notification_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_notification_id", table_name="deliveries")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("notification_id")
    op.drop_table("notifications")
    op.drop_table("push_subscriptions")
    op.drop_table("recipients")
    op.drop_table("api_keys")
