"""The post log's actions: a sent post's pin, unpin, timed delete, and the edits and
deletes asked for later, each with its outcome per chat.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import BigId, UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedule_post_actions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("post_id", BigId, nullable=False),
        sa.Column("run_id", BigId, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("request", sa.String(255), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("delivery_id", BigId),
        sa.Column("detail", sa.Text()),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("request", name="uq_schedule_post_actions_request"),
    )
    op.create_index("ix_schedule_post_actions_run_id", "schedule_post_actions", ["run_id"])
    op.create_index(
        "ix_schedule_post_actions_delivery_id", "schedule_post_actions", ["delivery_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_schedule_post_actions_delivery_id", table_name="schedule_post_actions")
    op.drop_index("ix_schedule_post_actions_run_id", table_name="schedule_post_actions")
    op.drop_table("schedule_post_actions")
