"""The file_id Telegram gave each media file, per bot, so a file is uploaded once.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import BigId, UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_files",
        sa.Column("media_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("bot", sa.String(32), primary_key=True),
        sa.Column("file_id", sa.String(255), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("media_files")
