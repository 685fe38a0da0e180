"""Answers to commands go through the delivery queue like any other message, so
Telegram's limits, retries and the sandbox apply to them too."""

from __future__ import annotations

from typing import Any

from herald.channel import Channel
from herald.queue import DeliveryQueue, Lane, NewDelivery


class Replies:
    def __init__(self, queue: DeliveryQueue) -> None:
        self._queue = queue

    async def send(
        self, chat_id: int | str, reply: str | dict[str, Any], *, key: str | None = None
    ) -> None:
        """Plain text, or a sender payload (markup, buttons); transactional lane. ``key``
        makes a repeat (an update read twice) harmless."""
        payload = {"text": reply, "parse_mode": None} if isinstance(reply, str) else reply
        await self._queue.enqueue(
            NewDelivery(
                channel=Channel.TELEGRAM,
                recipient=str(chat_id),
                payload=payload,
                lane=Lane.TRANSACTIONAL,
                idempotency_key=key,
            )
        )
