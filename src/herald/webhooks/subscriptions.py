"""Which event types an endpoint hears: exact types, prefixes (``delivery.*``) or ``*``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from herald.events import EventType

ALL = "*"


def check_patterns(patterns: Sequence[str]) -> list[str]:
    """The patterns, deduplicated in order; ValueError names one that matches no event
    type (a typo would otherwise subscribe to nothing, silently)."""
    if not patterns:
        raise ValueError("name at least one event type, a prefix such as delivery.* or *")
    known = [str(t) for t in EventType]
    checked: list[str] = []
    for raw in patterns:
        pattern = raw.strip()
        if pattern != ALL and not any(matches_one(pattern, t) for t in known):
            raise ValueError(
                f"{pattern!r} matches no event type (known: {', '.join(known)}; "
                "a prefix such as delivery.*; or *)"
            )
        if pattern not in checked:
            checked.append(pattern)
    return checked


def matches_one(pattern: str, event_type: str) -> bool:
    if pattern == ALL:
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def matches(patterns: Iterable[str], event_type: str) -> bool:
    return any(matches_one(p, event_type) for p in patterns)
