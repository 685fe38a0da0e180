"""Joins per A/B variant: an invite link per (promo, target, source, variant), and the
variant on each join made through one.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

PER_SOURCE = "uq_invite_links_content_id_target_chat_id_source_chat_id"
PER_VARIANT = "uq_invite_links_per_variant"
KEY = ["content_id", "target_chat_id", "source_chat_id"]


def upgrade() -> None:
    with op.batch_alter_table("invite_links") as batch:
        batch.add_column(sa.Column("variant", sa.String(1), nullable=False, server_default=""))
        batch.drop_constraint(PER_SOURCE, type_="unique")
        batch.create_unique_constraint(PER_VARIANT, [*KEY, "variant"])
    with op.batch_alter_table("joins") as batch:
        batch.add_column(sa.Column("variant", sa.String(1)))


def downgrade() -> None:
    with op.batch_alter_table("joins") as batch:
        batch.drop_column("variant")
    op.execute("DELETE FROM invite_links WHERE variant <> ''")
    with op.batch_alter_table("invite_links") as batch:
        batch.drop_constraint(PER_VARIANT, type_="unique")
        batch.create_unique_constraint(PER_SOURCE, KEY)
        batch.drop_column("variant")
