"""Post options (content defaults, schedule overrides) and forum topics in schedule chats.

``topic_id`` 0 is a chat without a topic: a non-null column keeps the unique keys
(schedule, chat, topic) and (run, chat, topic) meaningful on SQLite and PostgreSQL alike.

Downgrading goes back to one row per (schedule, chat) and per (run, chat), which cannot
hold a chat listed with several topics: it keeps, for each, the chat's own row (topic 0)
or else its lowest topic, and deletes the other topics' rows, chats and post-log rows
alike (the older schema has nowhere to put them).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _topic() -> sa.Column[int]:
    return sa.Column("topic_id", sa.BigInteger(), nullable=False, server_default="0")


def upgrade() -> None:
    with op.batch_alter_table("content") as batch:
        batch.add_column(sa.Column("options", sa.JSON()))
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("options", sa.JSON()))
    with op.batch_alter_table("schedule_chats") as batch:
        batch.add_column(_topic())
        batch.drop_constraint("uq_schedule_chats_schedule_id_chat_id", type_="unique")
        batch.create_unique_constraint(
            "uq_schedule_chats_schedule_id_chat_id_topic_id", ["schedule_id", "chat_id", "topic_id"]
        )
    with op.batch_alter_table("schedule_posts") as batch:
        batch.add_column(_topic())
        batch.drop_constraint("uq_schedule_posts_run_id_chat_id", type_="unique")
        batch.create_unique_constraint(
            "uq_schedule_posts_run_id_chat_id_topic_id", ["run_id", "chat_id", "topic_id"]
        )


def _keep_one_per_chat(table: str, owner: str) -> None:
    """Delete the rows a (``owner``, chat) key without topics would count twice: each
    keeps the row of the lowest topic (0, the chat itself, first), then the lowest id."""
    op.execute(
        f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM {table} o"
        f" WHERE o.{owner} = {table}.{owner} AND o.chat_id = {table}.chat_id"
        f" AND (o.topic_id < {table}.topic_id"
        f" OR (o.topic_id = {table}.topic_id AND o.id < {table}.id)))"
    )


def downgrade() -> None:
    _keep_one_per_chat("schedule_posts", "run_id")
    _keep_one_per_chat("schedule_chats", "schedule_id")
    with op.batch_alter_table("schedule_posts") as batch:
        batch.drop_constraint("uq_schedule_posts_run_id_chat_id_topic_id", type_="unique")
        batch.drop_column("topic_id")
        batch.create_unique_constraint("uq_schedule_posts_run_id_chat_id", ["run_id", "chat_id"])
    with op.batch_alter_table("schedule_chats") as batch:
        batch.drop_constraint("uq_schedule_chats_schedule_id_chat_id_topic_id", type_="unique")
        batch.drop_column("topic_id")
        batch.create_unique_constraint(
            "uq_schedule_chats_schedule_id_chat_id", ["schedule_id", "chat_id"]
        )
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("options")
    with op.batch_alter_table("content") as batch:
        batch.drop_column("options")
