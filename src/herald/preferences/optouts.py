"""A recipient's own word changing their preferences (a one-click link, the preference
page, a Telegram command), counted: ``herald_unsubscribes_total`` adds one per refusal
that is new (category and channel, "all" for every one), so a repeated one-click POST
or an unchanged page counts nothing. An operator's ``PUT`` through the API is not the
recipient's word and is not counted.
"""

from __future__ import annotations

from enum import StrEnum

from herald.channel import Channel
from herald.metrics import Metrics
from herald.preferences.model import Preferences
from herald.preferences.store import PreferenceStore

ALL = "all"


class Source(StrEnum):
    """Where the recipient said it (stored with the refusal, a label of the metric)."""

    ONE_CLICK = "one_click"
    PAGE = "page"
    TELEGRAM = "telegram"


class OptOuts:
    def __init__(self, store: PreferenceStore, metrics: Metrics) -> None:
        self._store = store
        self._metrics = metrics

    async def unsubscribe(
        self,
        recipient_id: int,
        *,
        category: str | None,
        channel: Channel | None,
        source: Source,
    ) -> Preferences:
        before = await self._store.get(recipient_id)
        after = await self._store.unsubscribe(
            recipient_id, category=category, channel=channel, source=source
        )
        self._count(before, after, source)
        return after

    async def resubscribe(
        self,
        recipient_id: int,
        *,
        category: str | None,
        channel: Channel | None,
        source: Source,
    ) -> bool:
        """Accepts the scope again; whether anything had been refused in it."""
        before = await self._store.get(recipient_id)
        after = await self._store.resubscribe(
            recipient_id, category=category, channel=channel, source=source
        )
        return after != before

    async def put(self, recipient_id: int, prefs: Preferences, *, source: Source) -> Preferences:
        before = await self._store.get(recipient_id)
        await self._store.put(recipient_id, prefs, source=source)
        after = await self._store.get(recipient_id)
        self._count(before, after, source)
        return after

    def _count(self, before: Preferences, after: Preferences, source: Source) -> None:
        for category, channel in newly_refused(before, after):
            self._metrics.unsubscribes.labels(category, channel, source).inc()


def newly_refused(before: Preferences, after: Preferences) -> list[tuple[str, str]]:
    """The scopes ``after`` refuses that ``before`` accepted, each named at its broadest
    ("all" for every category or channel): leaving everything is one unsubscribe, not
    one per category and channel."""
    if after.unsubscribed_all:
        return [] if before.unsubscribed_all else [(ALL, ALL)]
    if before.unsubscribed_all:
        return []
    found = [(ALL, str(c)) for c in sorted(after.channels_off - before.channels_off)]
    for key in sorted({*before.categories, *after.categories}):
        now = after.channels_for(key)
        gone = before.channels_for(key) - now - after.channels_off  # the category's own
        if gone and not now:
            found.append((key, ALL))
        else:
            found += [(key, str(c)) for c in sorted(gone)]
    return found
