"""Invite links of join buttons and the joins made through them.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import BigId, UTCDateTime

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invite_links",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("content_id", BigId, nullable=False),
        sa.Column("target_chat_id", sa.String(64), nullable=False),
        sa.Column("source_chat_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("invite_link", sa.String(255)),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("invite_link", name="uq_invite_links_invite_link"),
        sa.UniqueConstraint(
            "content_id",
            "target_chat_id",
            "source_chat_id",
            name="uq_invite_links_content_id_target_chat_id_source_chat_id",
        ),
    )
    op.create_table(
        "joins",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("invite_link_id", BigId, nullable=False),
        sa.Column("content_id", BigId, nullable=False),
        sa.Column("target_chat_id", sa.String(64), nullable=False),
        sa.Column("source_chat_id", sa.String(64), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint(
            "invite_link_id",
            "telegram_user_id",
            "joined_at",
            name="uq_joins_invite_link_id_telegram_user_id_joined_at",
        ),
    )
    op.create_index("ix_joins_content_id_joined_at", "joins", ["content_id", "joined_at"])


def downgrade() -> None:
    op.drop_index("ix_joins_content_id_joined_at", table_name="joins")
    op.drop_table("joins")
    op.drop_table("invite_links")
