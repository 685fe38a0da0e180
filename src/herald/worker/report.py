"""What the worker says about a recorded outcome: its metrics and its log line."""

from __future__ import annotations

from typing import Any

import structlog

from herald.metrics import Metrics
from herald.queue import Delivery, Permanent, Result, RetryAfter, State, Transient
from herald.queue.policy import Decision

log = structlog.get_logger("herald.worker")


def report(metrics: Metrics, result: Result, decision: Decision) -> None:
    d = result.delivery
    lane = metrics.of(d.channel, d.lane.label)
    if decision.state is State.SENT:
        lane.completed.inc()
        metrics.messages_sent.labels(d.channel).inc()
        return
    outcome = result.outcome
    reason = outcome.reason if isinstance(outcome, Transient | Permanent) else "retry_after"
    metrics.message_fail.labels(d.channel, reason).inc()
    logger = bind(d)
    if decision.state is State.DEAD:
        lane.dead_lettered.inc()
        metrics.messages_dead_lettered.labels(d.channel).inc()
        logger.warning("delivery_dead_lettered", error=decision.error)
    else:
        retry_after = isinstance(outcome, RetryAfter)
        (lane.retried_after if retry_after else lane.retried_transient).inc()
        logger.info(
            "delivery_retry", reason=reason, run_at=str(decision.run_at), error=decision.error
        )


def bind(delivery: Delivery) -> Any:
    return log.bind(
        delivery_id=delivery.id,
        channel=delivery.channel,
        lane=delivery.lane.label,
        attempt=delivery.attempts,
    )


def first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
