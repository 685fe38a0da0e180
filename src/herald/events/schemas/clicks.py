"""click.recorded: a person pressed a tracked button or opened a tracked link."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from herald.events.catalogue import EventType
from herald.events.schemas.base import EventData, examples


class ClickRecorded(EventData):
    """Someone pressed a tracked button or opened a tracked link. Hits herald judges
    were no person (link previews, crawlers, prefetches) are stored flagged and make
    no event."""

    TYPE = EventType.CLICK_RECORDED
    WHEN = "the click is stored (clicks are written in batches within about 50 ms)"
    SUBJECT = "promo:<promo_id>, link:<link_id> or click"
    model_config = examples(
        {
            "source": "callback",
            "promo_id": 7,
            "cta": 0,
            "cta_text": "Open the offer",
            "link_id": None,
            "telegram_user_id": 123456789,
            "username": "trader",
            "recipient": None,
            "chat_id": "-1001234567890",
            "message_id": 5512,
            "clicked_at": "2026-12-07T08:05:00Z",
        }
    )

    source: Literal["callback", "start", "link"] = Field(
        description="callback: an inline button; start: a /start deep link; link: a /r/ link."
    )
    promo_id: int | None = Field(description="The content item (promo or guide).")
    cta: int | None = Field(description="The button's index on the post.")
    cta_text: str | None
    link_id: int | None = Field(description="A link registered through the API.")
    telegram_user_id: int | None
    username: str | None
    recipient: str | None = Field(description="Who a link was sent to (its external_id).")
    chat_id: str | None
    message_id: int | None
    clicked_at: datetime

    def subject(self) -> str:
        return click_subject(self.promo_id, self.link_id)


def click_subject(promo_id: int | None, link_id: int | None) -> str:
    """A click's subject (the model's, and the writer's plain-dict events')."""
    if promo_id is not None:
        return f"promo:{promo_id}"
    return f"link:{link_id}" if link_id is not None else "click"
