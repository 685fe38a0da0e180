"""How many more sends each recipient may take: a claim's limit per recipient.

A channel whose limits are per recipient (the ``webhook`` channel: one recipient per
endpoint) tells the claim each recipient's room, so that a recipient with none is left
out before the scan (its pending work does not fill the batch, the others' does) and no
recipient gets more rows than it may start (none sits leased, waiting for a slot). The
queue knows nothing of what a recipient is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RecipientRoom:
    """``room``: how many sends each listed recipient may start now; ``default``: the
    room of a recipient not listed (nothing in flight, its bucket full)."""

    default: int
    room: Mapping[str, int] = field(default_factory=dict)

    def full(self) -> list[str]:
        """The recipients to leave out of the claim: they may start nothing now."""
        return sorted(r for r, n in self.room.items() if n <= 0)

    def partial(self) -> dict[str, int]:
        """The recipients that may start some, but not ``default``: fewer, or more (a
        recipient with limits of its own)."""
        return {r: n for r, n in self.room.items() if 0 < n != self.default}

    def of(self, recipient: str) -> int:
        return max(self.room.get(recipient, self.default), 0)
