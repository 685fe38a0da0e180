"""Clicks gain a flag: why a stored /r/ hit was no person (null: it was).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clicks") as batch:
        batch.add_column(sa.Column("flag", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("clicks") as batch:
        batch.drop_column("flag")
