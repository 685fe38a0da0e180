"""Events: facts herald records for the platform (webhooks read them from the outbox).

An event is written in the same transaction as the fact it reports (a delivery's
outcome, a click batch, a post log row), so it exists if and only if that fact was
committed. Its ``data`` is built through the type's model in ``schemas``, from which
the catalogue (docs/webhooks.md) and the OpenAPI document are generated (the events of
every send and delivered notification are built as plain dicts instead, held to their
models by tests). Nothing here sends anything: the webhooks room fans the outbox out.
"""

from __future__ import annotations

from herald.events.catalogue import EventType
from herald.events.outbox import Event, iso, new_event_ids, record
from herald.events.schemas import CATALOGUE, EventData

__all__ = ["CATALOGUE", "Event", "EventData", "EventType", "iso", "new_event_ids", "record"]
