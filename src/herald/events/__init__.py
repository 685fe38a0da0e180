"""Events: facts herald records for the platform (webhooks read them from the outbox).

An event is written in the same transaction as the fact it reports (a delivery's
outcome, a click batch, a post log row), so it exists if and only if that fact was
committed. Nothing here sends anything: the webhooks room fans the outbox out.
"""

from __future__ import annotations

from herald.events.catalogue import EventType
from herald.events.outbox import Event, record

__all__ = ["Event", "EventType", "record"]
