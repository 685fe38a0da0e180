"""The asyncio dispatcher.

Each round it asks every channel's state (worker/channel.py) how many sends it may
start now, claims at most that many (rate limiting at dispatch time, never
raise-and-retry), runs the sends concurrently, and records finished outcomes in
batched transactions. Leases of everything claimed but not yet recorded are extended
in the background, so a slow send keeps its lease and a killed worker loses its
leases to the rescuer.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from herald.channels import Sender
from herald.metrics import Metrics
from herald.queue import (
    Delivery,
    DeliveryQueue,
    Lane,
    Outcome,
    RecipientRoom,
    Result,
    RetryAfter,
    State,
    Transient,
)
from herald.queue.leases import Leases
from herald.queue.policy import Decision
from herald.queue.wakeup import PostgresListener
from herald.worker.background import attempt, every
from herald.worker.channel import ALL, FREE, PAID, ChannelState, Generation
from herald.worker.deference import UrgentPace
from herald.worker.exclusive import ExclusiveChannels
from herald.worker.gate import Defer, DispatchGate, Skip
from herald.worker.maintenance import Maintenance
from herald.worker.observer import WorkerObserver
from herald.worker.options import WorkerOptions
from herald.worker.paid_lanes import PaidDispatch
from herald.worker.plan import ChannelPlan
from herald.worker.report import bind, first_line, report

log = structlog.get_logger("herald.worker")
# How soon a LISTEN connection lost to a database restart is replaced.
LISTEN_CHECK_SECONDS = 1.0


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
        channels: Mapping[str, ChannelPlan],
        *,
        options: WorkerOptions | None = None,
        metrics: Metrics | None = None,
        observer: WorkerObserver | None = None,
        leases: Leases | None = None,
        worker_id: str | None = None,
        gate: DispatchGate | None = None,
    ) -> None:
        """``channels``: each channel's plan (sender and limits); ``leases``: needed when
        a plan names an exclusive lease. ``observer`` hears every recorded batch;
        ``gate`` judges each claimed batch before it is sent (worker/gate.py)."""
        self.queue = queue
        self.clock = queue.clock
        self.options = options = options or WorkerOptions()
        self.id = worker_id or default_worker_id()
        self.metrics = metrics or Metrics()
        self.observer = observer
        self.gate = gate
        self._annotate = None if gate is None else gate.annotation(queue.db.dialect)
        # Rescue often enough that a lost lease is noticed within about half a lease.
        lease = queue.lease.total_seconds()
        self.maintenance_interval = options.maintenance_interval or min(15.0, lease / 2)
        now = self.clock.monotonic()
        self.channels = {name: ChannelState(name, plan, now) for name, plan in channels.items()}
        self._exclusive = ExclusiveChannels(
            leases, self.channels.values(), self.id, options.lease_ttl
        )
        self._paid = PaidDispatch(queue.db, self.clock, self.metrics)
        self._maintenance = Maintenance(queue, self.id, self.metrics, observer, options.retention)
        self._inflight: dict[int, Delivery] = {}  # claimed and not yet recorded
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._results: list[Result] = []
        self._flush_now = asyncio.Event()
        self._throttled_for = 0.0
        self._urgent = UrgentPace(options.deference)

    def holds_background(self, now: float) -> tuple[bool, float]:
        """Whether background work waits now for the alerts (worker/deference.py), and
        for how long to wait before asking again: the background channels' claims, and
        the webhooks' fan-out beside this worker."""
        return self._urgent.holds(now)

    # -- one round -------------------------------------------------------------

    async def dispatch_once(self) -> int:
        """Claim and start as many sends as limits and free slots allow; returns how many."""
        started = 0
        self._throttled_for = 0.0
        for state in self.channels.values():
            free = state.slots()
            if free <= 0:
                continue
            if state.plan.background:
                held, wait = self.holds_background(self.clock.monotonic())
                if held:
                    self._throttle(wait)
                    continue
            generation = self.queue.wakeup.generation_of(state.name)
            blocked, wait = state.blocked(self.clock.monotonic())
            self._throttle(wait)
            lanes: frozenset[Lane] | None = None
            if state.paid is not None and await self._paid.active(state):
                n = await self._dispatch_paid(state, free, blocked, generation)
                started += n
                free -= n
                if free <= 0:
                    continue
                if await self._paid.active(state):  # else the budget just ran out
                    assert state.plan.paid is not None
                    lanes = frozenset(Lane) - state.plan.paid.lanes  # the rest go free
            started += await self._dispatch_free(state, free, blocked, lanes, generation)
        return started

    async def _dispatch_free(
        self,
        state: ChannelState,
        free: int,
        blocked: set[str],
        lanes: frozenset[Lane] | None,
        generation: Generation,
    ) -> int:
        mark = ALL if lanes is None else FREE
        now = self.clock.monotonic()
        if self._waiting(state, mark, generation, now):
            return 0
        allowed, wait = state.allowed(now, free, self.options.batch_size)
        if allowed <= 0:
            self._throttle(wait)
            return 0
        state.reserve(allowed, now)
        claimed = await self._claim(state, mark, allowed, blocked, lanes, generation, now)
        admitted = await self._admit(await self._fit(state, claimed, now))
        state.claimed(allowed, len(admitted))  # held ones give their tokens back
        self._start_all(admitted, state, state.plan.sender, now, paid=False)
        return len(claimed)

    async def _dispatch_paid(
        self, state: ChannelState, free: int, blocked: set[str], generation: Generation
    ) -> int:
        """Claim and start the paid lanes' sends their own rate and the budget allow."""
        paid = state.plan.paid
        assert paid is not None
        now = self.clock.monotonic()
        if self._waiting(state, PAID, generation, now):
            return 0
        allowed, wait = await self._paid.allowed(state, free, self.options.batch_size, now)
        if allowed <= 0:
            self._throttle(wait)
            return 0
        claimed = await self._claim(state, PAID, allowed, blocked, paid.lanes, generation, now)
        admitted = await self._admit(await self._fit(state, claimed, now))
        self._paid.started(state, len(admitted), now)
        self._start_all(admitted, state, paid.sender, now, paid=True)
        return len(claimed)

    def _waiting(self, state: ChannelState, mark: str, generation: Generation, now: float) -> bool:
        """Whether the channel (its lanes under ``mark``) is idle or resting for room."""
        return state.is_idle(mark, generation, now) or self._resting_for_room(
            state, generation, now
        )

    async def _claim(
        self,
        state: ChannelState,
        mark: str,
        allowed: int,
        blocked: set[str],
        lanes: frozenset[Lane] | None,
        generation: Generation,
        now: float,
    ) -> list[Delivery]:
        """Claim up to ``allowed`` of ``lanes`` (None: all) within the recipients' room;
        a claim that finds nothing rests the channel (``_rest``)."""
        await self._read_own_limits(state, now)
        room, wait = state.room(now)
        self._throttle(wait)
        claimed = await self.queue.claim(
            state.name,
            allowed,
            self.id,
            exclude_keys=blocked,
            lanes=lanes,
            recipients=room,
            annotate=self._annotate,
        )
        if not claimed and not blocked:
            self._rest(state, mark, generation, room, wait, now)
        return claimed

    async def _read_own_limits(self, state: ChannelState, now: float) -> None:
        """The recipients' own limits (a webhook endpoint's), read again when stale,
        before the room they set goes to a claim; if the read fails the last stand."""
        gauge = state.recipients
        if gauge is None or not gauge.wants_own(now) or gauge.limits.own is None:
            return
        try:
            own = await gauge.limits.own()
        except Exception as exc:
            log.warning("recipient_limits_unread", channel=state.name, error=first_line(exc))
            own = None
        gauge.set_own(own, now)

    def _resting_for_room(self, state: ChannelState, generation: Generation, now: float) -> bool:
        resting, wait = state.waits_for_room(generation, now)
        self._throttle(wait)
        return resting

    def _rest(
        self,
        state: ChannelState,
        mark: str,
        generation: Generation,
        room: RecipientRoom | None,
        wait: float,
        now: float,
    ) -> None:
        """After a claim that found nothing: with recipients left out for want of room,
        the rest is theirs, so wait for one to be ready (``wait``: tokens; a slot frees
        when a send finishes) rather than scan their backlog again each round; else the
        channel is idle until work arrives."""
        poll = self.options.poll_interval
        if room is not None and room.full():
            state.rest_for_room(generation, now, wait, poll)
        else:
            state.rest(mark, generation, now + poll)

    async def _fit(
        self, state: ChannelState, claimed: list[Delivery], now: float
    ) -> list[Delivery]:
        """The claimed deliveries within their recipient's limits; any past them (the
        claim takes each recipient's room, so none unless that changed meanwhile) are
        given back untried rather than held leased."""
        fits, over = state.fit(claimed, now)
        if over:
            await attempt(lambda: self.queue.release([d.id for d in over], self.id))
        return fits

    async def _admit(self, claimed: list[Delivery]) -> list[Delivery]:
        """The claimed deliveries the gate lets through; the held ones are written back
        (deferred or skipped, untried). If the gate cannot judge (the database is
        away), the batch is given back untried rather than sent unjudged."""
        if self.gate is None or not claimed:
            return claimed
        try:
            held = await self.gate.judge(claimed)
            if held:
                await self.queue.hold(
                    self.id,
                    deferred={
                        i: (h.until, h.detail) for i, h in held.items() if isinstance(h, Defer)
                    },
                    skipped={i: h.detail for i, h in held.items() if isinstance(h, Skip)},
                )
        except Exception as exc:
            log.warning("gate_failed", error=first_line(exc), claimed=len(claimed))
            await attempt(lambda: self.queue.release([d.id for d in claimed], self.id))
            return []
        for delivery in claimed:
            verdict = held.get(delivery.id)
            if isinstance(verdict, Defer):
                self.metrics.deferred.labels(delivery.channel, verdict.reason).inc()
            elif isinstance(verdict, Skip):
                self.metrics.skipped.labels(delivery.channel, verdict.reason).inc()
        return [d for d in claimed if d.id not in held]

    def _start_all(
        self,
        claimed: list[Delivery],
        state: ChannelState,
        sender: Sender,
        now: float,
        *,
        paid: bool,
    ) -> None:
        if not state.plan.background:
            self._urgent.started(now, sum(d.lane is Lane.TRANSACTIONAL for d in claimed))
        for delivery in claimed:
            state.started(delivery, now)
            self._inflight[delivery.id] = delivery
            self.metrics.of(delivery.channel, delivery.lane.label).claimed.inc()
            task = asyncio.create_task(self._send(delivery, state, sender, paid))
            self._tasks[delivery.id] = task

    def _throttle(self, wait: float) -> None:
        """Remember the soonest moment a limit lifts, for the idle wait (and drain)."""
        if wait > 0:
            self._throttled_for = min(self._throttled_for or wait, wait)

    async def _send(
        self, delivery: Delivery, state: ChannelState, sender: Sender, paid: bool
    ) -> None:
        started = time.perf_counter()
        outcome: Outcome | None = None
        try:
            try:
                outcome = await sender.send(delivery)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a sender bug must not lose the delivery
                bind(delivery).exception("sender_crashed")
                outcome = Transient(f"sender error: {type(exc).__name__}: {exc}")
            self._results.append(Result(delivery, outcome))
            if len(self._results) >= self.options.record_batch:
                self._flush_now.set()
        finally:
            state.finished(delivery, self.clock.monotonic(), paid=paid)
            if paid:
                self._paid.finished(state, outcome)
            self.metrics.of(delivery.channel, delivery.lane.label).send_duration.observe(
                time.perf_counter() - started
            )
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
            delivery = result.delivery
            state = self.channels[delivery.channel]
            state.wake()  # its key is free again
            self._inflight.pop(delivery.id, None)
            report(self.metrics, result, decision)
            if isinstance(result.outcome, RetryAfter):
                state.respect(delivery, result.outcome, self.clock.monotonic())
        if self.observer is not None:
            try:
                await self.observer.recorded(pairs)
            except Exception as exc:  # maintain() catches up from the database
                log.warning("observer_failed", error=first_line(exc))
        return decisions

    # -- drain mode ------------------------------------------------------------

    async def drain(self) -> DrainSummary:
        """Process everything that is due, then return (tests and batch use)."""
        summary = DrainSummary()
        for state in self.channels.values():
            state.wake()  # time may have moved since the last drain
        summary.rescued = await self._maintenance.rescue()
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
        log.info("worker_started", worker_id=self.id, channels=sorted(self.channels))
        await attempt(self._maintain)  # pick up what a crashed predecessor left behind
        # Backing off while the database is away, at most to the poll interval.
        longest = self.options.poll_interval
        record = self.options.record_interval
        background = [
            asyncio.create_task(
                every(record, self._flush_tick, stop, wake=self._flush_now, longest=longest)
            ),
            asyncio.create_task(
                every(self.queue.lease.total_seconds() / 3, self._heartbeat, stop, longest=longest)
            ),
            asyncio.create_task(
                every(self.maintenance_interval, self._maintain, stop, longest=longest)
            ),
        ]
        if self._exclusive:
            hold = self._exclusive.hold
            await attempt(hold)
            renew = self._exclusive.renew_every
            background.append(asyncio.create_task(every(renew, hold, stop, longest=longest)))
        stop_waiter = asyncio.create_task(self._notify_on(stop))
        listener = relisten = None
        if self.queue.db.dialect == "postgresql":
            listener = PostgresListener(self.queue.db, self.queue.wakeup)
            await listener.start()
            relisten = asyncio.create_task(
                every(LISTEN_CHECK_SECONDS, listener.ensure, stop, longest=longest)
            )
        try:
            while not stop.is_set():
                try:
                    claimed = await self.dispatch_once()
                except Exception as exc:
                    log.warning("claim_failed", error=first_line(exc))
                    await self.queue.wakeup.wait(self.options.poll_interval)
                    continue
                if claimed == 0:
                    timeout = self.options.poll_interval
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

    async def _notify_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self.queue.wakeup.notify()

    async def _flush_tick(self) -> None:
        self._flush_now.clear()
        await self.flush()

    async def _heartbeat(self) -> None:
        await self.queue.extend_leases(list(self._inflight), self.id)

    async def _maintain(self) -> None:
        await self._maintenance.run()

    async def _release_exclusive(self) -> None:
        """Give up the exclusive channels once this worker's sends have left their sliding
        windows: the next holder starts with an empty window, while the provider still
        counts what was sent in the last second."""
        if self._exclusive:
            now = self.clock.monotonic()
            windows = [state.clear_in(now) for state in self.channels.values()]
            await self.clock.sleep(max(windows, default=0))
        await self._exclusive.release()

    async def _give_back(self) -> None:
        await self._paid.give_back(self.channels.values())

    async def _shutdown(
        self, background: list[asyncio.Task[None]], stop_waiter: asyncio.Task[None]
    ) -> None:
        tasks = list(self._tasks.values())
        if tasks:
            log.info(
                "worker_finishing_sends", in_flight=len(tasks), grace=self.options.shutdown_grace
            )
            _done, late = await asyncio.wait(tasks, timeout=self.options.shutdown_grace or None)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for task in [*background, stop_waiter]:
            task.cancel()
        await asyncio.gather(*background, stop_waiter, return_exceptions=True)
        finished = {r.delivery.id for r in self._results}
        untried = [i for i in self._inflight if i not in finished]
        for tries in range(1, 4):
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
                log.warning("shutdown_record_failed", attempt=tries, error=first_line(exc))
                await asyncio.sleep(0.5)
        else:
            # Leases will expire and the rescuer will retry them: at-least-once, nothing lost.
            log.error("shutdown_left_leases", count=len(self._inflight))
        await attempt(self._release_exclusive)
        await attempt(self._give_back)
