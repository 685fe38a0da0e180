"""Unsubscribing and resubscribing as pure changes of Preferences, and Preferences as
the opt-out rows that store them (("", "") all; ("", channel); (category, "");
(category, channel)).

A scope that lifts a broader refusal (``/start promos`` after ``/stop``) turns the
broader one into refusals of everything else, so only what was asked comes back.
"""

from __future__ import annotations

from collections.abc import Iterable

from herald.channel import Channel
from herald.preferences.model import ALL_CHANNELS, Preferences

EVERY = ""  # the stored spelling of "every category" / "every channel"
Row = tuple[str, str]


def _scope(channel: Channel | None) -> frozenset[Channel]:
    return ALL_CHANNELS if channel is None else frozenset({channel})


def unsubscribed(
    prefs: Preferences,
    category: str | None,
    channel: Channel | None,
    known: Iterable[str] = (),
) -> Preferences:
    """``prefs`` refusing ``channel`` (None: every one) for ``category`` (None: all)."""
    if category is None and channel is None:
        return _build(prefs, frozenset(), dict(prefs.categories))
    base = ALL_CHANNELS - prefs.channels_off if not prefs.unsubscribed_all else frozenset()
    accepted = dict(prefs.categories)
    if category is None:
        base -= _scope(channel)
    else:
        accepted[category] = accepted.get(category, ALL_CHANNELS) - _scope(channel)
    return _build(prefs, base, accepted)


def resubscribed(
    prefs: Preferences,
    category: str | None,
    channel: Channel | None,
    known: Iterable[str] = (),
) -> Preferences:
    """``prefs`` accepting ``channel`` (None: every one) for ``category`` (None: all).

    ``known`` are the categories that exist: when a broader refusal must be lifted for
    one category, the others keep refusing through rows of their own.
    """
    wanted = _scope(channel)
    if category is None and channel is None:
        return Preferences(timezone=prefs.timezone, quiet_hours=prefs.quiet_hours)
    base = ALL_CHANNELS - prefs.channels_off if not prefs.unsubscribed_all else frozenset()
    keys = set(known) | set(prefs.categories)
    accepted = {k: prefs.categories.get(k, ALL_CHANNELS) & base for k in keys}
    if category is None:
        base |= wanted
        accepted = {k: v | wanted for k, v in accepted.items()}
    else:
        lifted = wanted - base
        base |= lifted
        accepted = {k: v if k == category else v - lifted for k, v in accepted.items()}
        accepted[category] = accepted.get(category, frozenset()) | wanted
    return _build(prefs, base, accepted)


def _build(
    prefs: Preferences, base: frozenset[Channel], accepted: dict[str, frozenset[Channel]]
) -> Preferences:
    """The normal form: nothing stored that the broader refusals already say."""
    if not base:
        return Preferences(
            timezone=prefs.timezone, quiet_hours=prefs.quiet_hours, unsubscribed_all=True
        )
    return Preferences(
        timezone=prefs.timezone,
        quiet_hours=prefs.quiet_hours,
        categories={k: v & base for k, v in sorted(accepted.items()) if v & base != base},
        channels_off=ALL_CHANNELS - base,
    )


def rows(prefs: Preferences) -> set[Row]:
    """The opt-out rows that store ``prefs``'s refusals."""
    if prefs.unsubscribed_all:
        return {(EVERY, EVERY)}
    out: set[Row] = {(EVERY, str(c)) for c in prefs.channels_off}
    for key, accepted in prefs.categories.items():
        if not accepted:
            out.add((key, EVERY))
        else:
            out.update((key, str(c)) for c in ALL_CHANNELS - accepted)
    return out


def from_rows(prefs: Preferences, stored: Iterable[Row]) -> Preferences:
    """``prefs`` (zone and quiet hours) with the refusals of the ``stored`` rows."""
    result = Preferences(timezone=prefs.timezone, quiet_hours=prefs.quiet_hours)
    for category, channel in stored:
        result = unsubscribed(result, category or None, Channel(channel) if channel else None)
    return result
