"""Content carries media (library ids); a media post's log row keeps its messages.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("content") as batch:
        batch.add_column(sa.Column("media", sa.JSON()))
    with op.batch_alter_table("schedule_posts") as batch:
        batch.add_column(sa.Column("messages", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("schedule_posts") as batch:
        batch.drop_column("messages")
    with op.batch_alter_table("content") as batch:
        batch.drop_column("media")
