"""Notifications are written with their first delivery: none is left without one.

Before this version a notification and its first delivery were two transactions, and a
crash between them left a pending notification with no delivery, which a periodic sweep
picked up 30 seconds later. Both are now one transaction and the sweep is gone, so any
such row left by an earlier version is finished here, visibly, rather than kept pending
for ever: it is failed with a reason the caller can act on (send it again).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE notifications SET status = 'failed', error = :error "
            "WHERE status = 'pending' AND delivery_id IS NULL"
        ).bindparams(
            error="interrupted before its first delivery was queued (herald before 0009); "
            "send it again"
        )
    )


def downgrade() -> None:
    pass  # nothing to undo: the rows were stuck before
