"""The post log keeps the chat's member count when the post went out (real reach).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("schedule_posts") as batch:
        batch.add_column(sa.Column("member_count", sa.Integer))
        batch.add_column(sa.Column("members_at", UTCDateTime))
    op.create_index(
        "ix_schedule_posts_chat_id_members_at", "schedule_posts", ["chat_id", "members_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_schedule_posts_chat_id_members_at", "schedule_posts")
    with op.batch_alter_table("schedule_posts") as batch:
        batch.drop_column("members_at")
        batch.drop_column("member_count")
