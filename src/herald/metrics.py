"""Prometheus metrics on a registry of our own (no process-global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from herald.queue import QueueStats


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        labels = ("channel", "lane")
        self.claimed = Counter(
            "herald_deliveries_claimed", "Deliveries claimed by a worker.", labels, registry=r
        )
        self.completed = Counter(
            "herald_deliveries_completed", "Deliveries sent successfully.", labels, registry=r
        )
        self.retried = Counter(
            "herald_deliveries_retried",
            "Sends that will be retried, by reason (transient, retry_after).",
            (*labels, "reason"),
            registry=r,
        )
        self.dead_lettered = Counter(
            "herald_deliveries_dead_lettered",
            "Deliveries moved to the dead-letter state.",
            labels,
            registry=r,
        )
        self.released = Counter(
            "herald_deliveries_released",
            "Claimed deliveries given back untried at shutdown.",
            labels,
            registry=r,
        )
        self.rescued = Counter(
            "herald_leases_rescued", "Expired leases put back in the queue.", registry=r
        )
        self.send_duration = Histogram(
            "herald_send_duration_seconds",
            "Time one send took, by channel.",
            ("channel",),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.queue_depth = Gauge(
            "herald_queue_depth", "Deliveries by lane and state.", ("lane", "state"), registry=r
        )
        self.oldest_waiting = Gauge(
            "herald_queue_oldest_waiting_seconds",
            "Age of the oldest delivery that is due but not yet claimed.",
            registry=r,
        )

    def observe_stats(self, stats: QueueStats) -> None:
        self.queue_depth.clear()
        for (lane, state), count in stats.counts.items():
            self.queue_depth.labels(lane=lane, state=state).set(count)
        self.oldest_waiting.set(stats.oldest_waiting_seconds or 0.0)
