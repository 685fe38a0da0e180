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


class Observers:
    """Several observers as one; each hears every batch, one failing stops no other."""

    def __init__(self, *observers: WorkerObserver) -> None:
        self._observers = observers

    async def recorded(self, outcomes: Sequence[tuple[Result, Decision]]) -> None:
        await self._each("recorded", outcomes)

    async def maintain(self) -> None:
        await self._each("maintain")

    async def _each(self, method: str, *args: object) -> None:
        errors: list[BaseException] = []
        for observer in self._observers:
            try:
                await getattr(observer, method)(*args)
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]
