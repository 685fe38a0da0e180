"""When a campaign's last page was queued and when its last delivery ended
(campaign.finished).

Campaigns still sending count as fully queued (a campaign is queued whole before its
start answers); those already over stay without either time and make no event.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import UTCDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("all_queued_at", UTCDateTime))
        batch.add_column(sa.Column("finished_at", UTCDateTime))
    op.execute(
        "UPDATE campaigns SET all_queued_at = created_at WHERE EXISTS (SELECT 1 FROM "
        "deliveries d WHERE d.campaign = CAST(campaigns.id AS TEXT) "
        "AND d.state IN ('pending', 'running'))"
    )


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("finished_at")
        batch.drop_column("all_queued_at")
