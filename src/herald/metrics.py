"""Prometheus metrics on a registry of our own (no process-global state)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from herald.queue import QueueStats


@dataclass(frozen=True, slots=True)
class ChannelLaneMetrics:
    """The labelled children for one (channel, lane); ``labels()`` is too slow per send."""

    claimed: Counter
    completed: Counter
    dead_lettered: Counter
    released: Counter
    retried_transient: Counter
    retried_after: Counter
    send_duration: Histogram


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._children: dict[tuple[str, str], ChannelLaneMetrics] = {}
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
        # The platform's own metric names (PR-060), kept so its dashboards carry over.
        self.messages_enqueued = Counter(
            "messages_enqueued",
            "Messages queued, by channel and priority (lane).",
            ("channel", "priority"),
            registry=r,
        )
        self.messages_sent = Counter(
            "messages_sent", "Messages the provider accepted.", ("channel",), registry=r
        )
        self.message_fail = Counter(
            "message_fail",
            "Failed send attempts, by channel and reason code.",
            ("channel", "reason"),
            registry=r,
        )
        self.messages_dead_lettered = Counter(
            "messages_dead_lettered", "Messages that ended dead.", ("channel",), registry=r
        )
        self.telegram_api_errors = Counter(
            "telegram_api_errors",
            "Telegram Bot API errors, by type (the sender's reason code).",
            ("error_type",),
            registry=r,
        )
        self.push_subscription_expired = Counter(
            "push_subscription_expired",
            "Push subscriptions deleted because the push service said 404/410.",
            registry=r,
        )
        # Scheduled posting, with the platform's names (PR-031, PR-032).
        self.guides_posts = Counter(
            "guides_posts", "Guide posts Telegram accepted (one per chat).", registry=r
        )
        self.marketing_posts = Counter(
            "marketing_posts",
            "Promo posts Telegram accepted (one per chat), by promo.",
            ("promo_id",),
            registry=r,
        )
        self.scheduled_post_failures = Counter(
            "scheduled_post_failures",
            "Scheduled posts that failed for good, by content kind and reason.",
            ("kind", "reason"),
            registry=r,
        )
        self.marketing_clicks = Counter(
            "marketing_clicks",
            "Clicks on tracked CTAs (callback buttons and /r/ links), by promo.",
            ("promo_id",),
            registry=r,
        )
        self.links_rejected = Counter(
            "tracked_links_rejected",
            "/r/ requests whose token was malformed, forged or named nothing stored.",
            registry=r,
        )
        self.callbacks_rejected = Counter(
            "telegram_callbacks_rejected",
            "Callback queries whose data was malformed or not signed by us.",
            registry=r,
        )
        self.updates_ignored = Counter(
            "telegram_updates_ignored",
            "Updates that were malformed or of no interest, by reason.",
            ("reason",),
            registry=r,
        )
        self.unsubscribes = Counter(
            "herald_unsubscribes",
            "Refusals recipients made themselves (one-click link, preference page, Telegram), "
            "by category and channel ('all': every one) and source.",
            ("category", "channel", "source"),
            registry=r,
        )
        # Paid broadcasts (Telegram's allow_paid_broadcast), by channel.
        self.paid_sent = Counter(
            "paid_broadcast_sent",
            "Messages the provider accepted as paid broadcasts.",
            ("channel",),
            registry=r,
        )
        self.paid_budget_left = Gauge(
            "paid_broadcast_budget_left",
            "Paid sends left in today's (UTC) budget; only with a cap.",
            ("channel",),
            registry=r,
        )
        self.paid_budget_spent = Counter(
            "paid_broadcast_budget_spent",
            "Days whose paid budget ran out (paid lanes then fell back to the free limits).",
            ("channel",),
            registry=r,
        )
        self.send_duration = Histogram(
            "message_send_duration_seconds",
            "Time one send took, by channel.",
            ("channel",),
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.queue_depth = Gauge(
            "herald_queue_depth", "Deliveries by lane and state.", ("lane", "state"), registry=r
        )
        self.deferred = Counter(
            "herald_deliveries_deferred",
            "Deliveries the dispatch gate moved later, by reason (quiet_hours, daily_cap).",
            ("channel", "reason"),
            registry=r,
        )
        self.skipped = Counter(
            "herald_deliveries_skipped",
            "Deliveries the dispatch gate ended unsent, by reason (opted_out, daily_cap).",
            ("channel", "reason"),
            registry=r,
        )
        self.oldest_waiting = Gauge(
            "herald_queue_oldest_waiting_seconds",
            "Age of the oldest delivery that is due but not yet claimed.",
            registry=r,
        )

    def of(self, channel: str, lane: str) -> ChannelLaneMetrics:
        found = self._children.get((channel, lane))
        if found is None:
            found = self._children[channel, lane] = ChannelLaneMetrics(
                claimed=self.claimed.labels(channel, lane),
                completed=self.completed.labels(channel, lane),
                dead_lettered=self.dead_lettered.labels(channel, lane),
                released=self.released.labels(channel, lane),
                retried_transient=self.retried.labels(channel, lane, "transient"),
                retried_after=self.retried.labels(channel, lane, "retry_after"),
                send_duration=self.send_duration.labels(channel),
            )
        return found

    def observe_stats(self, stats: QueueStats) -> None:
        self.queue_depth.clear()
        for (lane, state), count in stats.counts.items():
            self.queue_depth.labels(lane=lane, state=state).set(count)
        self.oldest_waiting.set(stats.oldest_waiting_seconds or 0.0)
