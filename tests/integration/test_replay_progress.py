"""A bulk replay reports each batch (the CLI's progress bar) and the count before it."""

from __future__ import annotations

from sqlalchemy import update

from herald.db.tables import deliveries
from herald.queue import DeliveryFilter, DeliveryQueue, NewDelivery, State, admin
from herald.queue.admin import REPLAY_BATCH


async def test_replay_reports_every_batch(queue: DeliveryQueue) -> None:
    total = REPLAY_BATCH * 2 + 7
    await queue.enqueue_many(NewDelivery("telegram", f"chat-{i}", {}) for i in range(total))
    async with queue.db.write() as conn:
        await conn.execute(update(deliveries).values(state=State.DEAD, last_error="x"))
    everything = DeliveryFilter(state=State.DEAD)
    assert await admin.count_dead(queue, everything) == total
    batches: list[int] = []
    assert await admin.replay(queue, everything, on_batch=batches.append) == total
    assert batches == [REPLAY_BATCH, REPLAY_BATCH, 7]
    assert await admin.count_dead(queue, everything) == 0
