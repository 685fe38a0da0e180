"""Categories and recipients' own preferences (herald.preferences).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import BigId, UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.String(1000), nullable=False, server_default=""),
        sa.Column("daily_cap", sa.Integer()),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("key", name="uq_categories_key"),
    )
    op.create_table(
        "recipient_preferences",
        sa.Column("recipient_id", BigId, primary_key=True, autoincrement=False),
        sa.Column("timezone", sa.String(64)),
        sa.Column("quiet_start", sa.String(5)),
        sa.Column("quiet_end", sa.String(5)),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "recipient_opt_outs",
        sa.Column("recipient_id", BigId, nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint(
            "recipient_id", "category", "channel", name="pk_recipient_opt_outs"
        ),
    )


def downgrade() -> None:
    op.drop_table("recipient_opt_outs")
    op.drop_table("recipient_preferences")
    op.drop_table("categories")
