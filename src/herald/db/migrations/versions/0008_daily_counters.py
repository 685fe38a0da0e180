"""Daily counters: the paid Telegram broadcasts of each UTC day, kept across restarts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_counters",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("used", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("name", "day", name="pk_daily_counters"),
    )


def downgrade() -> None:
    op.drop_table("daily_counters")
