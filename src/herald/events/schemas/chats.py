"""chat.deactivated and chat.migrated: a chat the schedules post to changed."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from herald.events.catalogue import EventType
from herald.events.schemas.base import EventData, examples


class ChatDeactivated(EventData):
    """A chat gets no more scheduled posts: the bot was removed or blocked, or the chat
    is gone. Re-adding the chat to a schedule makes it active again."""

    TYPE = EventType.CHAT_DEACTIVATED
    WHEN = "a post to the chat was refused for good, or the bot was removed from it"
    SUBJECT = "chat:<chat_id>"
    model_config = examples(
        {
            "chat_id": "-1009876543210",
            "reason": "kicked",
            "schedule_ids": [1, 2],
            "deactivated_at": "2026-12-07T08:00:02Z",
        }
    )

    chat_id: str
    reason: str = Field(description="Telegram's reason (blocked, kicked, chat_not_found...).")
    schedule_ids: list[int] = Field(description="The schedules the chat was active in.")
    deactivated_at: datetime

    def subject(self) -> str:
        return f"chat:{self.chat_id}"


class ChatMigrated(EventData):
    """A group became a supergroup: its schedules post to the new id from now on."""

    TYPE = EventType.CHAT_MIGRATED
    WHEN = "Telegram answered a post with the group's new id"
    SUBJECT = "chat:<old_chat_id>"
    model_config = examples(
        {
            "old_chat_id": "-4001234567",
            "new_chat_id": "-1004001234567",
            "schedule_ids": [1],
            "migrated_at": "2026-12-07T08:00:02Z",
        }
    )

    old_chat_id: str
    new_chat_id: str
    schedule_ids: list[int]
    migrated_at: datetime

    def subject(self) -> str:
        return f"chat:{self.old_chat_id}"
