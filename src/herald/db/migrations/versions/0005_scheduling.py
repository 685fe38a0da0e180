"""Scheduled posting: content, schedules, their chats, runs and the post log.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import BigId, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("seed_key", sa.String(64)),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("footer", sa.String(512)),
        sa.Column("buttons", sa.JSON, nullable=False),
        sa.Column("alert_text", sa.String(200)),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_content"),
        sa.UniqueConstraint("seed_key", name="uq_content_seed_key"),
    )
    op.create_index("ix_content_kind_id", "content", ["kind", "id"])
    op.create_table(
        "schedules",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("items", sa.JSON),
        sa.Column("interval_seconds", sa.Integer),
        sa.Column("cron", sa.String(128)),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("post_on_start", sa.Boolean, nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("anchor_at", UTCDateTime, nullable=False),
        sa.Column("next_slot_at", UTCDateTime),
        sa.Column("last_slot_at", UTCDateTime),
        sa.Column("last_result", sa.JSON),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
        sa.UniqueConstraint("name", name="uq_schedules_name"),
    )
    op.create_table(
        "schedule_chats",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("schedule_id", BigId, nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("inactive_reason", sa.String(255)),
        sa.Column("added_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_chats"),
        sa.UniqueConstraint("schedule_id", "chat_id", name="uq_schedule_chats_schedule_id_chat_id"),
    )
    op.create_table(
        "schedule_runs",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("schedule_id", BigId, nullable=False),
        sa.Column("slot_at", UTCDateTime),  # null: a manual run, not a slot
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("content_id", BigId),
        sa.Column("content_kind", sa.String(16)),
        sa.Column("position", sa.Integer),
        sa.Column("chats", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("posted_to", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("failed", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("detail", sa.Text),
        sa.Column("claimed_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_runs"),
        sa.UniqueConstraint("schedule_id", "slot_at", name="uq_schedule_runs_schedule_id_slot_at"),
    )
    op.create_index("ix_schedule_runs_status", "schedule_runs", ["status"])
    op.create_table(
        "schedule_posts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("delivery_id", BigId),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(64)),
        sa.Column("error", sa.Text),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_posts"),
        sa.UniqueConstraint("run_id", "chat_id", name="uq_schedule_posts_run_id_chat_id"),
    )
    op.create_index("ix_schedule_posts_delivery_id", "schedule_posts", ["delivery_id"])
    op.create_index("ix_schedule_posts_status", "schedule_posts", ["status"])


def downgrade() -> None:
    for table in ("schedule_posts", "schedule_runs", "schedule_chats", "schedules", "content"):
        op.drop_table(table)
