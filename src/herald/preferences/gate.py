"""PreferenceGate: the worker's dispatch gate (worker/gate.py) for audience controls.

The claim itself says of each delivery whether its recipient stored any preference
(``annotation``: ``store.chose_anything``), so a batch whose recipients chose nothing
needs no read while no cap applies. Otherwise it is judged with one read (preferences
and opt-outs of the recipients who chose something, or not known to have chosen
nothing, and with caps on the day's counts of every marked recipient,
``PreferenceStore.batch``) and, when caps are on, one write (the counts of what it let
through, each added only while it stays within its cap, so that two workers cannot both
take a last slot). Only deliveries whose audience mark says
``gated`` are judged (preferences/marks.py); the rest pass untouched. In order:
opted out -> skipped; inside quiet hours -> deferred to the window's end; beyond the
daily cap -> deferred to the recipient's midnight or skipped, as configured.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from herald.clock import Clock
from herald.config import AudienceSettings
from herald.preferences import marks
from herald.preferences.caps import CapPolicy, OverCap, local_day, over
from herald.preferences.categories import CategoryStore
from herald.preferences.clock_math import next_midnight
from herald.preferences.model import Preferences, QuietHours
from herald.preferences.quiet import next_allowed
from herald.preferences.store import CountKey, PreferenceStore, chose_anything
from herald.queue import Delivery
from herald.queue.models import DEFERRED
from herald.worker.gate import Defer, Held, Skip

EVERYTHING = Preferences()  # a recipient who chose nothing: the defaults
CATEGORY_TTL = 10.0  # seconds a category's cap may be stale after an edit
PRUNE_EVERY = 3600.0


class PreferenceGate:
    def __init__(
        self,
        store: PreferenceStore,
        categories: CategoryStore,
        settings: AudienceSettings,
        clock: Clock,
    ) -> None:
        self._store = store
        self._categories = categories
        self._clock = clock
        self._zone = ZoneInfo(settings.default_timezone)
        window = settings.quiet_hours
        self._window = QuietHours.parse(window[:5], window[6:]) if window else None
        self._daily, self._over = settings.daily_cap, OverCap(settings.over_cap)
        self._policy: CapPolicy | None = None
        self._policy_at = self._pruned_at = float("-inf")

    def annotation(self, dialect: str) -> Any:
        return chose_anything(dialect)

    async def judge(self, claimed: Sequence[Delivery]) -> Mapping[int, Held]:
        marked = [(d, m) for d in claimed if (m := marks.gated(d.payload)) is not None]
        if not marked:
            return {}
        policy = await self._caps()
        now = self._clock.now()
        if policy.any:  # every marked recipient's counts
            # The local days of every zone now (UTC-12 to UTC+14); Python picks each one's.
            days = {(now + timedelta(hours=h)).date().isoformat() for h in (-12, 0, 14)}
            prefs, counts = await self._store.batch({rid for _, (rid, _) in marked}, days)
        elif chose := {rid for d, (rid, _) in marked if d.annotation is None or d.annotation}:
            prefs, counts = await self._store.batch(chose)
        else:  # the claim found that none of them chose anything
            prefs, counts = {}, {}
        held: dict[int, Held] = {}
        added: Counter[CountKey] = Counter()
        caps: dict[CountKey, int | None] = {}
        counted: dict[CountKey, list[tuple[Delivery, ZoneInfo]]] = {}
        for delivery, (recipient_id, category) in marked:
            p = prefs.get(recipient_id, EVERYTHING)
            if not p.accepts(category, delivery.channel):
                what = f"category {category}" if category else "campaign messages"
                held[delivery.id] = Skip(
                    "opted_out", f"skipped: the recipient opted out of {what} on {delivery.channel}"
                )
                continue
            zone = ZoneInfo(p.timezone) if p.timezone else self._zone
            until = next_allowed(now, p.quiet_hours or self._window, zone)
            if until is not None:
                held[delivery.id] = Defer(
                    until, "quiet_hours", f"{DEFERRED}quiet hours until {_local(until, zone)}"
                )
                continue
            if not policy.any:
                continue
            bucket, cap = policy.bucket(category)
            key = (recipient_id, delivery.channel, local_day(now, zone).isoformat(), bucket)
            if over(counts.get(key, 0) + added[key], cap):
                held[delivery.id] = self._over_cap(now, zone, cap, delivery.channel)
            elif delivery.attempts <= 1:  # a retry was counted on its first attempt
                added[key] += 1
                caps[key] = cap
                counted.setdefault(key, []).append((delivery, zone))
        if added:
            # Another worker may have taken the last slots since the read: its count
            # is re-checked as it is added, and what no longer fits is held after all.
            for key in await self._store.take_slots(added, caps):
                for delivery, zone in counted[key]:
                    held[delivery.id] = self._over_cap(now, zone, caps[key], delivery.channel)
            await self._prune(now)
        return held

    def _over_cap(self, now: datetime, zone: ZoneInfo, cap: int | None, channel: str) -> Held:
        what = f"over the daily cap of {cap} on {channel}"
        if self._over is OverCap.DEFER:
            until = next_midnight(now, zone)
            return Defer(until, "daily_cap", f"{DEFERRED}{what}, until {_local(until, zone)}")
        return Skip("daily_cap", f"skipped: {what}")

    async def _caps(self) -> CapPolicy:
        """The cap policy, the categories' own caps re-read every CATEGORY_TTL seconds."""
        mono = self._clock.monotonic()
        if self._policy is None or mono - self._policy_at >= CATEGORY_TTL:
            own = {c.key: c.daily_cap for c in await self._categories.list()}
            self._policy = CapPolicy(
                daily=self._daily,
                over=self._over,
                per_category={k: cap for k, cap in own.items() if cap is not None},
            )
            self._policy_at = mono
        return self._policy

    async def _prune(self, now: datetime) -> None:
        mono = self._clock.monotonic()
        if mono - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = mono
            await self._store.forget_counts((now - timedelta(days=2)).date().isoformat())


def _local(instant: datetime, zone: ZoneInfo) -> str:
    """The instant as the recipient's clock shows it, for the delivery log."""
    return f"{instant.astimezone(zone):%H:%M} {zone.key}"
