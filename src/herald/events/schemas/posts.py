"""schedule.run.finished: where a scheduled post went out, and where not."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from herald.events.catalogue import EventType
from herald.events.schemas.base import EventData, examples


class ChatPost(BaseModel):
    """One chat's (or forum topic's) post of a run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chat_id: str
    topic_id: int | None = Field(description="The forum topic, if the post went to one.")
    status: Literal["sent", "failed"]
    message_id: str | None
    error: str | None


class ScheduleRunFinished(EventData):
    """A scheduled post went out to every chat it could: where it was posted, where not."""

    TYPE = EventType.SCHEDULE_RUN_FINISHED
    WHEN = "the last post of a run (one slot of a schedule) was sent or failed"
    SUBJECT = "schedule:<schedule_id>"
    model_config = examples(
        {
            "run_id": 301,
            "schedule_id": 2,
            "schedule": "promos",
            "trigger": "scheduled",
            "slot_at": "2026-12-07T08:00:00Z",
            "content_id": 7,
            "content_kind": "promo",
            "posted_to": 1,
            "failed": 1,
            "chats": [
                {
                    "chat_id": "-1001234567890",
                    "topic_id": None,
                    "status": "sent",
                    "message_id": "5512",
                    "error": None,
                },
                {
                    "chat_id": "-1009876543210",
                    "topic_id": None,
                    "status": "failed",
                    "message_id": None,
                    "error": "Forbidden: bot was kicked from the supergroup chat",
                },
            ],
            "finished_at": "2026-12-07T08:00:02Z",
        }
    )

    run_id: int
    schedule_id: int
    schedule: str = Field(description="The schedule's name.")
    trigger: Literal["scheduled", "manual", "start"]
    slot_at: datetime | None = Field(description="The slot posted (null: a manual run).")
    content_id: int | None
    content_kind: Literal["guide", "promo"] | None
    posted_to: int
    failed: int
    chats: list[ChatPost]
    finished_at: datetime

    def subject(self) -> str:
        return f"schedule:{self.schedule_id}"
