"""campaign.finished: every delivery of a campaign ended."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from herald.channel import Channel
from herald.events.catalogue import EventType
from herald.events.schemas.base import EventData, examples


class CampaignCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sent: int
    dead: int
    cancelled: int


class CampaignFinished(EventData):
    """Every delivery of a campaign has ended (sent, dead or cancelled)."""

    TYPE = EventType.CAMPAIGN_FINISHED
    WHEN = "the campaign's last delivery ended, all of its pages being queued"
    SUBJECT = "campaign:<campaign_id>"
    model_config = examples(
        {
            "campaign_id": 12,
            "name": "weekly digest",
            "channel": "telegram",
            "status": "finished",
            "queued": 15000,
            "skipped": 37,
            "counts": {"sent": 14990, "dead": 10, "cancelled": 0},
            "finished_at": "2026-12-07T08:09:00Z",
        }
    )

    campaign_id: int
    name: str
    channel: Channel
    status: Literal["finished", "cancelled"] = Field(
        description="cancelled: it was cancelled before all of it was sent."
    )
    queued: int
    skipped: int = Field(description="Recipients without an address (or at their cap).")
    counts: CampaignCounts
    finished_at: datetime

    def subject(self) -> str:
        return f"campaign:{self.campaign_id}"
