"""The audience mark a queued delivery carries in its payload (``payload["audience"]``):
whose message it is and of which category, and whether the dispatch gate judges it.

The queue knows no recipients or categories, so messaging writes what the gate needs
into the payload when it renders the message; senders read only their own keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KEY = "audience"


@dataclass(frozen=True, slots=True)
class Mark:
    recipient_id: int
    category: str | None
    gated: bool  # False: the gate lets it pass (a required or transactional message)

    def as_json(self) -> dict[str, Any]:
        return {"recipient_id": self.recipient_id, "category": self.category, "gated": self.gated}


def mark(
    recipient_id: int,
    category: str | None,
    *,
    campaign: bool,
    required: bool = False,
    checked: bool = False,
) -> Mark:
    """The rule: campaign messages are judged, transactional ones only when their
    template is ``checked``, and a ``required`` template's never."""
    return Mark(recipient_id, category, gated=not required and (campaign or checked))


def read(payload: Mapping[str, Any]) -> Mark | None:
    """The payload's mark, if it has a well-formed one."""
    raw = payload.get(KEY)
    if not isinstance(raw, Mapping):
        return None
    rid, category = raw.get("recipient_id"), raw.get("category")
    if not isinstance(rid, int) or not (category is None or isinstance(category, str)):
        return None
    return Mark(rid, category, bool(raw.get("gated")))
