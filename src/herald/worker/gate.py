"""The dispatch gate: a last look at claimed deliveries just before they are sent.

The worker knows no recipients or preferences; a gate (the preferences room's, wired by
the runtime) judges each claimed batch at once and names the deliveries it holds back:
``Defer`` to a later run_at (the attempt not spent, the reason in last_error) or
``Skip`` for good (the terminal ``skipped`` state with the reason). Everything it
does not name is sent. What it can learn with the claim itself (its ``annotation``)
spares it a read after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from herald.queue import Delivery


@dataclass(frozen=True, slots=True)
class Defer:
    until: datetime
    reason: str  # a metric label: quiet_hours, daily_cap
    detail: str  # what the delivery log keeps (starts with queue.models.DEFERRED)


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str  # a metric label: opted_out, daily_cap
    detail: str  # what the delivery log keeps


Held = Defer | Skip


class DispatchGate(Protocol):
    def annotation(self, dialect: str) -> Any | None:
        """An SQL expression over the ``deliveries`` row that the claim computes for each
        delivery it takes (``Delivery.annotation``), the same object every call, or None."""
        ...

    async def judge(self, claimed: Sequence[Delivery]) -> Mapping[int, Held]:
        """The deliveries of ``claimed`` (by id) to hold back; one batch, few queries."""
        ...
