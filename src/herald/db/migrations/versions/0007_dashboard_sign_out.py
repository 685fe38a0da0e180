"""The dashboard's sign-out: sessions of a key issued before this time are over.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("signed_out_at", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("signed_out_at")
