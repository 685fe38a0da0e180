"""The events outbox (herald.events), which the webhooks fan out.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import BigId, UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("fanned_out_at", UTCDateTime),
        sa.UniqueConstraint("event_id", name="uq_events_event_id"),
    )
    op.create_index("ix_events_fanned_out_at", "events", ["fanned_out_at"])


def downgrade() -> None:
    op.drop_index("ix_events_fanned_out_at", table_name="events")
    op.drop_table("events")
