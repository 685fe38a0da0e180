"""Link clicks name their post: the schedule run whose post carried the link.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clicks") as batch:
        batch.add_column(sa.Column("run_id", sa.BigInteger()))


def downgrade() -> None:
    with op.batch_alter_table("clicks") as batch:
        batch.drop_column("run_id")
