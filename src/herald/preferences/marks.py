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
_IDS = range(-(2**63), 2**63)  # what the database can store (a recipient's id is BIGINT)


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
    found = _fields(payload)
    return None if found is None else Mark(*found)


def gated(payload: Mapping[str, Any]) -> tuple[int, str | None] | None:
    """The recipient and category of a mark the gate judges, else None: the gate's
    read of every claimed delivery, so it builds no Mark (that was most of its cost)."""
    found = _fields(payload)
    return None if found is None or not found[2] else (found[0], found[1])


def _fields(payload: Mapping[str, Any]) -> tuple[int, str | None, bool] | None:
    raw = payload.get(KEY)
    # Payloads come from JSON: a dict is checked first, the ABC only for anything else.
    if type(raw) is not dict and not isinstance(raw, Mapping):
        return None
    rid, category = raw.get("recipient_id"), raw.get("category")
    if not isinstance(rid, int) or rid not in _IDS:  # the gate's read would fail on it
        return None
    if not (category is None or isinstance(category, str)):
        return None
    return rid, category, bool(raw.get("gated"))
