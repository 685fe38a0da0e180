"""The base of every event's data model, and how a model carries its examples."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from herald.events.catalogue import EventType
from herald.events.outbox import Event


class EventData(BaseModel):
    """The base of every event's data: its type, when it fires, and its subject."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[EventType]
    WHEN: ClassVar[str]  # for the catalogue: when the event fires
    SUBJECT: ClassVar[str]  # for the catalogue: the subject's shape

    def subject(self) -> str:
        """What orders this event against others about the same thing."""
        raise NotImplementedError

    def event(self, occurred_at: datetime) -> Event:
        return Event(self.TYPE, self.subject(), self.model_dump(mode="json"), occurred_at)


def examples(*items: dict[str, Any]) -> ConfigDict:
    """A type's model config with its examples (the first is the catalogue's)."""
    return ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": list(items)})
