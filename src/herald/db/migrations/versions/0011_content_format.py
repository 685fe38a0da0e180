"""Content gains ``format``: ``plain`` (what every existing item is) or ``markdown``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("content") as batch:
        batch.add_column(sa.Column("format", sa.String(16), nullable=False, server_default="plain"))


def downgrade() -> None:
    with op.batch_alter_table("content") as batch:
        batch.drop_column("format")
