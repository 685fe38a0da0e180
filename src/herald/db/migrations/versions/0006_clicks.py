"""Click tracking: clicks and registered tracked links.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from herald.db.types import BigId, UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clicks",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("promo_id", BigId),
        sa.Column("link_id", BigId),
        sa.Column("cta", sa.SmallInteger),
        sa.Column("cta_text", sa.String(256)),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger),
        sa.Column("username", sa.String(64)),
        sa.Column("recipient", sa.String(255)),
        sa.Column("chat_id", sa.String(64)),
        sa.Column("message_id", sa.BigInteger),
        sa.Column("clicked_at", UTCDateTime, nullable=False),
        sa.Column("meta", sa.JSON),
        sa.PrimaryKeyConstraint("id", name="pk_clicks"),
    )
    op.create_index("ix_clicks_telegram_user_id", "clicks", ["telegram_user_id"])
    op.create_index("ix_clicks_promo_id_clicked_at", "clicks", ["promo_id", "clicked_at"])
    op.create_index(
        "ix_clicks_telegram_user_id_promo_id", "clicks", ["telegram_user_id", "promo_id"]
    )
    op.create_index("ix_clicks_clicked_at", "clicks", ["clicked_at"])
    op.create_table(
        "tracked_links",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("target_url", sa.String(2048), nullable=False),
        sa.Column("promo_id", BigId),
        sa.Column("label", sa.String(256)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tracked_links"),
    )


def downgrade() -> None:
    op.drop_table("tracked_links")
    op.drop_table("clicks")
