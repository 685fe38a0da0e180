"""Answers to commands go through the delivery queue like any other message, so
Telegram's limits, retries and the sandbox apply to them too."""

from __future__ import annotations

from herald.queue import DeliveryQueue, Lane, NewDelivery


class Replies:
    def __init__(self, queue: DeliveryQueue) -> None:
        self._queue = queue

    async def send(self, chat_id: int | str, text: str, *, key: str | None = None) -> None:
        """Plain text (no markup), transactional lane; ``key`` makes a repeat harmless."""
        await self._queue.enqueue(
            NewDelivery(
                channel="telegram",
                recipient=str(chat_id),
                payload={"text": text, "parse_mode": None},
                lane=Lane.TRANSACTIONAL,
                idempotency_key=key,
            )
        )
