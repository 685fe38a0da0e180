"""A/B variants: a promo's test, the variant each post showed and each click named.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("content") as batch:
        batch.add_column(sa.Column("variants", sa.JSON()))
    with op.batch_alter_table("schedule_posts") as batch:
        batch.add_column(sa.Column("variant", sa.String(1)))
    with op.batch_alter_table("clicks") as batch:
        batch.add_column(sa.Column("variant", sa.String(1)))
    op.create_index("ix_schedule_runs_content_id", "schedule_runs", ["content_id"])


def downgrade() -> None:
    op.drop_index("ix_schedule_runs_content_id", "schedule_runs")
    with op.batch_alter_table("clicks") as batch:
        batch.drop_column("variant")
    with op.batch_alter_table("schedule_posts") as batch:
        batch.drop_column("variant")
    with op.batch_alter_table("content") as batch:
        batch.drop_column("variants")
