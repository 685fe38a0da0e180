"""Campaign messages let through per recipient, channel, local day and cap bucket
(herald.preferences daily caps).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import BigId

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audience_counts",
        sa.Column("recipient_id", BigId, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("bucket", sa.String(64), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "recipient_id", "channel", "day", "bucket", name="pk_audience_counts"
        ),
    )
    op.create_index("ix_audience_counts_day", "audience_counts", ["day"])


def downgrade() -> None:
    op.drop_index("ix_audience_counts_day", table_name="audience_counts")
    op.drop_table("audience_counts")
