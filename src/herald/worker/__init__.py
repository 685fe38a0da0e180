"""The worker: claims what the rate limits allow, sends, records outcomes in batches."""

from __future__ import annotations

from herald.worker.dispatcher import DrainSummary, Worker
from herald.worker.options import WorkerOptions
from herald.worker.plan import ChannelPlan
from herald.worker.ratelimit import RateLimit, TokenBucket

__all__ = ["ChannelPlan", "DrainSummary", "RateLimit", "TokenBucket", "Worker", "WorkerOptions"]
