"""Queue statistics."""

from __future__ import annotations

from fastapi import APIRouter

from herald.queue import admin as queue_admin
from herald.web.deps import QueueDep
from herald.web.schemas import QueueStatsOut

router = APIRouter(tags=["queue"])


@router.get("/queue/stats")
async def queue_stats(queue: QueueDep) -> QueueStatsOut:
    """Counts by lane and state, and the age of the oldest due delivery not yet claimed."""
    return QueueStatsOut.of(await queue_admin.stats(queue))
