"""Schedule chats remember when the bot was added back to an inactive chat.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("schedule_chats") as batch:
        batch.add_column(sa.Column("readded_at", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("schedule_chats") as batch:
        batch.drop_column("readded_at")
