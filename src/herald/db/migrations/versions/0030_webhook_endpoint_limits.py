"""A webhook endpoint's own limits: requests in flight and per second (null: the
settings' defaults).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(sa.Column("max_in_flight", sa.Integer()))
        batch.add_column(sa.Column("rate_per_second", sa.Float()))


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("rate_per_second")
        batch.drop_column("max_in_flight")
