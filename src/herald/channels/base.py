"""The one interface between the worker and a channel."""

from __future__ import annotations

from typing import Protocol

from herald.queue import Delivery, Outcome


class Sender(Protocol):
    """Sends one delivery and says what came of it.

    A sender maps every wire error to an Outcome itself (its error map is the only
    place that knows the provider's status codes); an exception that escapes is a
    bug, which the worker records as a transient failure rather than losing the
    delivery.
    """

    sandbox: bool

    @property
    def channel(self) -> str:
        """Read-only, so a sender may declare it as a ``Channel`` (a ``str``)."""
        ...

    async def send(self, delivery: Delivery) -> Outcome: ...

    async def close(self) -> None: ...
