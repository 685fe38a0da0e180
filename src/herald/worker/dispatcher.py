"""The asyncio dispatcher.

Each round it asks every channel's token bucket how many sends it may start now,
claims at most that many (rate limiting at dispatch time, never raise-and-retry),
runs the sends concurrently, and records finished outcomes in batched
transactions. Leases of everything claimed but not yet recorded are extended in
the background, so a slow send keeps its lease and a killed worker loses its
leases to the rescuer.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from herald.channels import Sender
from herald.metrics import Metrics
from herald.queue import (
    Delivery,
    DeliveryQueue,
    Lane,
    Outcome,
    Permanent,
    Result,
    RetryAfter,
    State,
    Transient,
)
from herald.queue import admin as queue_admin
from herald.queue.leases import Leases
from herald.queue.policy import Decision
from herald.queue.wakeup import PostgresListener
from herald.worker.exclusive import ExclusiveChannels
from herald.worker.observer import WorkerObserver
from herald.worker.paid import PaidLanes
from herald.worker.paid_lanes import PaidDispatch
from herald.worker.ratelimit import (
    KeyBuckets,
    RateLimit,
    SlidingWindow,
    TelegramChatLimits,
    TokenBucket,
)

log = structlog.get_logger("herald.worker")
# How soon a LISTEN connection lost to a database restart is replaced.
LISTEN_CHECK_SECONDS = 1.0
PAID_SUFFIX = "+paid"  # the paid lanes' own idle mark
FREE_SUFFIX = "+free"  # the other lanes' while the paid ones are paid
Generation = tuple[int, int]  # Wakeup.generation_of: a new value when work may be due


@dataclass
class DrainSummary:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    rescued: int = 0


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(
        self,
        queue: DeliveryQueue,
        senders: Mapping[str, Sender],
        *,
        limits: Mapping[str, RateLimit] | None = None,
        concurrency: Mapping[str, int] | None = None,
        metrics: Metrics | None = None,
        worker_id: str | None = None,
        batch_size: int = 200,
        poll_interval: float = 1.0,
        record_interval: float = 0.02,
        record_batch: int = 500,
        maintenance_interval: float | None = None,
        retention: timedelta | None = None,
        shutdown_grace: float = 10.0,
        observer: WorkerObserver | None = None,
        key_limits: Mapping[str, TelegramChatLimits] | None = None,
        windows: Mapping[str, tuple[int, float]] | None = None,
        exclusive: Mapping[str, str] | None = None,
        leases: Leases | None = None,
        lease_ttl: float = 15.0,
        paid: Mapping[str, PaidLanes] | None = None,
    ) -> None:
        """``key_limits``: per-recipient limits by channel. ``exclusive``: channel -> lease
        name for channels that one worker process at a time may dispatch (so that its
        in-memory limits hold for all processes together); needs ``leases``. ``paid``:
        lanes of a channel sent by a second sender at their own rate, within a daily
        budget (worker/paid.py)."""
        self.queue = queue
        self.clock = queue.clock
        self.senders = dict(senders)
        self.id = worker_id or default_worker_id()
        self.metrics = metrics or Metrics()
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.record_interval = record_interval
        self.record_batch = record_batch
        # Rescue often enough that a lost lease is noticed within about half a lease.
        lease = queue.lease.total_seconds()
        self.maintenance_interval = maintenance_interval or min(15.0, lease / 2)
        self.retention = retention
        self.shutdown_grace = shutdown_grace
        self.observer = observer
        limits = limits or {}
        concurrency = concurrency or {}
        now = self.clock.monotonic()
        self._buckets = {
            ch: TokenBucket(limits.get(ch, RateLimit(1e9, 1_000_000)), now) for ch in self.senders
        }
        self._concurrency = {ch: concurrency.get(ch, 32) for ch in self.senders}
        self._key_buckets = {ch: KeyBuckets(lim) for ch, lim in (key_limits or {}).items()}
        self._windows = {ch: SlidingWindow(n, s) for ch, (n, s) in (windows or {}).items()}
        self._exclusive = ExclusiveChannels(leases, exclusive or {}, self.id, lease_ttl)
        self._busy: Counter[str] = Counter()
        self._inflight: dict[int, Delivery] = {}  # claimed and not yet recorded
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._results: list[Result] = []
        self._flush_now = asyncio.Event()
        self._idle: dict[str, tuple[Generation, float]] = {}  # channel -> (generation, until)
        self._throttled_for = 0.0
        paid = {ch: p for ch, p in (paid or {}).items() if ch in self.senders}
        self._paid = PaidDispatch(paid, queue.db, self.clock, self.metrics)

    # -- one round -------------------------------------------------------------

    async def dispatch_once(self) -> int:
        """Claim and start as many sends as limits and free slots allow; returns how many."""
        started = 0
        self._throttled_for = 0.0
        for channel, sender in self.senders.items():
            generation = self.queue.wakeup.generation_of(channel)
            free = self._concurrency[channel] - self._busy[channel]
            if free <= 0 or not self._exclusive.may_dispatch(channel):
                continue
            if self._busy[channel] and free < self._concurrency[channel] // 4:
                # Busy: wait for a quarter of the slots rather than claim one or two at a
                # time; a claim costs the same for one row as for fifty (at 1,500 sends/s
                # it was a claim per 1.6 sends). A send that finishes wakes the loop.
                continue
            now = self.clock.monotonic()
            keys = self._key_buckets.get(channel)
            blocked = keys.blocked(now) if keys else set()
            if blocked and keys is not None:
                self._throttle(keys.wait_time(now))
            lanes: frozenset[Lane] | None = None
            paid = self._paid.lanes.get(channel)
            if paid is not None and await self._paid.active(channel):
                n = await self._dispatch_paid(channel, paid, free, blocked, generation)
                started += n
                free -= n
                if free <= 0:
                    continue
                if await self._paid.active(channel):  # else the budget just ran out
                    lanes = frozenset(Lane) - paid.lanes  # the rest go free
            started += await self._dispatch_free(channel, sender, free, blocked, lanes, generation)
        return started

    async def _dispatch_free(
        self,
        channel: str,
        sender: Sender,
        free: int,
        blocked: set[str],
        lanes: frozenset[Lane] | None,
        generation: Generation,
    ) -> int:
        # Its own idle mark while paid lanes are left out: when their budget runs out,
        # the claim that takes them too must not wait for a poll interval.
        idle_key = channel if lanes is None else channel + FREE_SUFFIX
        if self._is_idle(idle_key, generation):
            return 0
        bucket = self._buckets[channel]
        window = self._windows.get(channel)
        now = self.clock.monotonic()
        allowed = min(free, bucket.available(now), self.batch_size)
        if window is not None:
            allowed = min(allowed, window.available(now))
        if allowed <= 0:
            self._throttle(bucket.wait_time(now))
            if window is not None:
                self._throttle(window.wait_time(now))
            return 0
        bucket.take(allowed, now)
        claimed = await self.queue.claim(
            channel, allowed, self.id, exclude_keys=blocked, lanes=lanes
        )
        bucket.give_back(allowed - len(claimed))
        if window is not None:
            window.start(len(claimed))
        if not claimed and not blocked:
            # Nothing due: skip this channel's (write-locking) claim until work
            # arrives, one of its sends is recorded, or a poll interval passes.
            self._idle[idle_key] = (generation, now + self.poll_interval)
        self._start_all(claimed, sender, now)
        return len(claimed)

    async def _dispatch_paid(
        self, channel: str, paid: PaidLanes, free: int, blocked: set[str], generation: Generation
    ) -> int:
        """Claim and start the paid lanes' sends their own rate and the budget allow."""
        idle_key = channel + PAID_SUFFIX
        if self._is_idle(idle_key, generation):
            return 0
        now = self.clock.monotonic()
        allowed, wait = await self._paid.allowed(channel, free, self.batch_size, now)
        if allowed <= 0:
            self._throttle(wait)
            return 0
        claimed = await self.queue.claim(
            channel, allowed, self.id, exclude_keys=blocked, lanes=paid.lanes
        )
        self._paid.started(channel, claimed, now)
        if not claimed and not blocked:
            self._idle[idle_key] = (generation, now + self.poll_interval)
        self._start_all(claimed, paid.sender, now)
        return len(claimed)

    def _start_all(self, claimed: list[Delivery], sender: Sender, now: float) -> None:
        keys = self._key_buckets.get(claimed[0].channel) if claimed else None
        for delivery in claimed:
            if keys is not None and delivery.ordering_key:
                keys.take(delivery.ordering_key, now)
            self._start(delivery, sender)

    def _is_idle(self, channel: str, generation: Generation) -> bool:
        mark = self._idle.get(channel)
        if mark is None:
            return False
        if mark[0] == generation and self.clock.monotonic() < mark[1]:
            return True
        del self._idle[channel]
        return False

    def _throttle(self, wait: float) -> None:
        """Remember the soonest moment a limit lifts, for the idle wait (and drain)."""
        if wait > 0:
            self._throttled_for = min(self._throttled_for or wait, wait)

    def _start(self, delivery: Delivery, sender: Sender) -> None:
        self._inflight[delivery.id] = delivery
        self._busy[delivery.channel] += 1
        self.metrics.of(delivery.channel, delivery.lane.label).claimed.inc()
        self._tasks[delivery.id] = asyncio.create_task(self._send(delivery, sender))

    async def _send(self, delivery: Delivery, sender: Sender) -> None:
        started = time.perf_counter()
        outcome: Outcome | None = None
        try:
            try:
                outcome = await sender.send(delivery)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a sender bug must not lose the delivery
                _bind(delivery).exception("sender_crashed")
                outcome = Transient(f"sender error: {type(exc).__name__}: {exc}")
            self._results.append(Result(delivery, outcome))
            if len(self._results) >= self.record_batch:
                self._flush_now.set()
        finally:
            if self._paid.finished(delivery, outcome):
                pass  # its own window
            elif (window := self._windows.get(delivery.channel)) is not None:
                window.finish(self.clock.monotonic())
            self.metrics.of(delivery.channel, delivery.lane.label).send_duration.observe(
                time.perf_counter() - started
            )
            self._busy[delivery.channel] -= 1
            self._tasks.pop(delivery.id, None)
            self.queue.wakeup.notify()  # a slot is free: dispatch again

    async def flush(self) -> list[Decision]:
        """Record every finished send in one transaction."""
        if not self._results:
            return []
        batch, self._results = self._results, []
        try:
            decisions = await self.queue.record(batch, self.id)
        except BaseException:
            self._results[:0] = batch  # keep them for the next try; nothing is lost
            raise
        pairs = list(zip(batch, decisions, strict=True))
        for result, decision in pairs:
            channel = result.delivery.channel
            self._idle.pop(channel, None)  # its key is free again
            if channel in self._paid.lanes:
                self._idle.pop(channel + PAID_SUFFIX, None)
                self._idle.pop(channel + FREE_SUFFIX, None)
            self._inflight.pop(result.delivery.id, None)
            self._observe(result, decision)
        if self.observer is not None:
            try:
                await self.observer.recorded(pairs)
            except Exception as exc:  # maintain() catches up from the database
                log.warning("observer_failed", error=_first_line(exc))
        return decisions

    def _observe(self, result: Result, decision: Decision) -> None:
        d = result.delivery
        metrics = self.metrics.of(d.channel, d.lane.label)
        if decision.state is State.SENT:
            metrics.completed.inc()
            self.metrics.messages_sent.labels(d.channel).inc()
            return
        outcome = result.outcome
        reason = outcome.reason if isinstance(outcome, Transient | Permanent) else "retry_after"
        self.metrics.message_fail.labels(d.channel, reason).inc()
        logger = _bind(d)
        if decision.state is State.DEAD:
            metrics.dead_lettered.inc()
            self.metrics.messages_dead_lettered.labels(d.channel).inc()
            logger.warning("delivery_dead_lettered", error=decision.error)
        else:
            retry_after = isinstance(outcome, RetryAfter)
            (metrics.retried_after if retry_after else metrics.retried_transient).inc()
            if isinstance(outcome, RetryAfter):
                self._respect(d, outcome)
            logger.info(
                "delivery_retry", reason=reason, run_at=str(decision.run_at), error=decision.error
            )

    def _respect(self, delivery: Delivery, outcome: RetryAfter) -> None:
        """A provider's 429 pauses what it concerns: one chat, or the whole channel.

        Without a scope only the delivery itself waits (the queue rescheduled it)."""
        now = self.clock.monotonic()
        keys = self._key_buckets.get(delivery.channel)
        if outcome.scope == "chat" and keys is not None and delivery.ordering_key:
            keys.pause(delivery.ordering_key, outcome.seconds, now)
        elif outcome.scope in ("bot", "channel"):
            self._buckets[delivery.channel].pause(outcome.seconds, now)

    # -- drain mode ------------------------------------------------------------

    async def drain(self) -> DrainSummary:
        """Process everything that is due, then return (tests and batch use)."""
        summary = DrainSummary()
        self._idle.clear()  # time may have moved since the last drain
        summary.rescued = await self._rescue()
        await self._exclusive.hold()
        while True:
            claimed = await self.dispatch_once()
            summary.claimed += claimed
            if self._tasks:
                await asyncio.wait(list(self._tasks.values()), return_when=asyncio.FIRST_COMPLETED)
            for decision in await self.flush():
                if decision.state is State.SENT:
                    summary.sent += 1
                elif decision.state is State.DEAD:
                    summary.dead += 1
                else:
                    summary.retried += 1
            if claimed or self._tasks or self._results:
                continue
            if self._throttled_for:
                await self.clock.sleep(self._throttled_for)
                continue
            return summary

    # -- long-running mode -----------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then finish or release in-flight sends."""
        log.info("worker_started", worker_id=self.id, channels=sorted(self.senders))
        await self._try(self._maintain)  # pick up what a crashed predecessor left behind
        background = [
            asyncio.create_task(
                self._every(self.record_interval, self._flush_tick, stop, wake=self._flush_now)
            ),
            asyncio.create_task(
                self._every(self.queue.lease.total_seconds() / 3, self._heartbeat, stop)
            ),
            asyncio.create_task(self._every(self.maintenance_interval, self._maintain, stop)),
        ]
        if self._exclusive:
            hold = self._exclusive.hold
            await self._try(hold)
            renew = self._exclusive.renew_every
            background.append(asyncio.create_task(self._every(renew, hold, stop)))
        stop_waiter = asyncio.create_task(self._notify_on(stop))
        listener = relisten = None
        if self.queue.db.dialect == "postgresql":
            listener = PostgresListener(self.queue.db, self.queue.wakeup)
            await listener.start()
            relisten = asyncio.create_task(self._every(LISTEN_CHECK_SECONDS, listener.ensure, stop))
        try:
            while not stop.is_set():
                try:
                    claimed = await self.dispatch_once()
                except Exception as exc:
                    log.warning("claim_failed", error=_first_line(exc))
                    await self.queue.wakeup.wait(self.poll_interval)
                    continue
                if claimed == 0:
                    timeout = self.poll_interval
                    if self._throttled_for:
                        timeout = min(timeout, self._throttled_for)
                    await self.queue.wakeup.wait(timeout)
                else:
                    await asyncio.sleep(0)
        finally:
            if listener is not None and relisten is not None:
                relisten.cancel()  # so that it cannot LISTEN again behind stop()
                await asyncio.gather(relisten, return_exceptions=True)
                await listener.stop()
            await self._shutdown(background, stop_waiter)
        log.info("worker_stopped", worker_id=self.id)

    async def _try(self, action: Callable[[], Awaitable[object]]) -> None:
        try:
            await action()
        except Exception as exc:
            log.warning("background_task_failed", task=action.__name__, error=_first_line(exc))

    async def _notify_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self.queue.wakeup.notify()

    async def _every(
        self,
        interval: float,
        action: Callable[[], Awaitable[object]],
        stop: asyncio.Event,
        wake: asyncio.Event | None = None,
    ) -> None:
        """Run ``action`` every ``interval`` seconds (or sooner when ``wake`` is set).

        While it fails (the database is down) the wait doubles up to the poll interval:
        the 20 ms flush tick would otherwise try, and log, fifty times a second."""
        delay = interval
        while not stop.is_set():
            backing_off = delay > interval  # then a wake-up does not cut the wait short
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await (stop if backing_off or wake is None else wake).wait()
            if stop.is_set():
                return
            try:
                await action()
            except Exception as exc:  # the database may be down; try again later
                log.warning("background_task_failed", task=action.__name__, error=_first_line(exc))
                delay = min(delay * 2, max(interval, self.poll_interval))
            else:
                delay = interval

    async def _flush_tick(self) -> None:
        self._flush_now.clear()
        await self.flush()

    async def _heartbeat(self) -> None:
        await self.queue.extend_leases(list(self._inflight), self.id)

    async def _rescue(self) -> int:
        rescued = await queue_admin.rescue_expired(self.queue, except_holder=self.id)
        if rescued:
            self.metrics.rescued.inc(rescued)
            log.warning("leases_rescued", count=rescued)
        return rescued

    async def _maintain(self) -> None:
        await self._rescue()
        if self.observer is not None:
            await self.observer.maintain()
        if self.retention is not None:
            pruned = await queue_admin.prune_sent(self.queue, self.retention)
            if pruned:
                log.info("deliveries_pruned", count=pruned)

    async def _release_exclusive(self) -> None:
        """Give up the exclusive channels once this worker's sends have left their sliding
        windows: the next holder starts with an empty window, while the provider still
        counts what was sent in the last second."""
        if self._exclusive:
            now = self.clock.monotonic()
            windows = [w.clear_in(now) for w in self._windows.values()]
            await self.clock.sleep(max([*windows, self._paid.clear_in(now)], default=0))
        await self._exclusive.release()

    async def _shutdown(
        self, background: list[asyncio.Task[None]], stop_waiter: asyncio.Task[None]
    ) -> None:
        tasks = list(self._tasks.values())
        if tasks:
            log.info("worker_finishing_sends", in_flight=len(tasks), grace=self.shutdown_grace)
            _done, late = await asyncio.wait(tasks, timeout=self.shutdown_grace or None)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for task in [*background, stop_waiter]:
            task.cancel()
        await asyncio.gather(*background, stop_waiter, return_exceptions=True)
        finished = {r.delivery.id for r in self._results}
        untried = [i for i in self._inflight if i not in finished]
        for attempt in range(3):
            try:
                await self.flush()
                if untried:
                    await self.queue.release(untried, self.id)
                    for delivery_id in untried:
                        d = self._inflight.pop(delivery_id)
                        self.metrics.of(d.channel, d.lane.label).released.inc()
                    untried = []
                break
            except Exception as exc:
                log.warning("shutdown_record_failed", attempt=attempt + 1, error=_first_line(exc))
                await asyncio.sleep(0.5)
        else:
            # Leases will expire and the rescuer will retry them: at-least-once, nothing lost.
            log.error("shutdown_left_leases", count=len(self._inflight))
        await self._try(self._release_exclusive)
        await self._try(self._paid.give_back)


def _bind(delivery: Delivery) -> Any:
    return log.bind(
        delivery_id=delivery.id,
        channel=delivery.channel,
        lane=delivery.lane.label,
        attempt=delivery.attempts,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
