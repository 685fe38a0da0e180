"""How layers above the queue learn what the worker did, without the worker knowing them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from herald.queue import Result
from herald.queue.policy import Decision


class WorkerObserver(Protocol):
    """Messaging implements this to act on outcomes (fallback, blocked chats...).

    ``recorded`` runs after outcomes are committed and may fail or never run (the
    process can die in between), so anything that must happen also has to be
    recoverable from the database by ``maintain``, which runs periodically.
    """

    async def recorded(self, outcomes: Sequence[tuple[Result, Decision]]) -> None: ...

    async def maintain(self) -> None: ...
