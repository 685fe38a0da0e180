"""What a recipient chose for themself: a time zone, quiet hours, the categories and
channels they accept campaign messages on (pure values).

These are the recipient's own choices (the hosted pages, Telegram's /stop, or an
operator on their behalf). ``Recipient.opted_out`` in messaging stays what it was:
the caller's hard per-channel opt-out, which removes an address for every message,
transactional ones included; preferences only ever hold back campaign messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from herald.channel import Channel

ALL_CHANNELS: frozenset[Channel] = frozenset(Channel)


class PreferenceRuleError(ValueError):
    """A preference or category that may not be stored; ``loc`` names the field
    (``("quiet_hours", "end")``), for the API's 422 and the form's error."""

    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily window in the recipient's local time; ``end`` before ``start`` crosses
    midnight (22:00-07:00)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise PreferenceRuleError(("quiet_hours",), "start and end must differ")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise PreferenceRuleError(("quiet_hours",), "times are local, without a zone")

    @classmethod
    def parse(cls, start: str, end: str) -> QuietHours:
        return cls(_hhmm(start, "start"), _hhmm(end, "end"))

    def as_text(self) -> tuple[str, str]:
        return self.start.strftime("%H:%M"), self.end.strftime("%H:%M")


def _hhmm(value: str, name: str) -> time:
    try:
        parsed = time.fromisoformat(value)
    except ValueError:
        raise PreferenceRuleError(("quiet_hours", name), "must be HH:MM") from None
    return parsed.replace(second=0, microsecond=0)


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; PreferenceRuleError on ``timezone`` if there is none."""
    try:
        if not name or name.startswith("/") or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PreferenceRuleError(
            ("timezone",), f"{name!r} is not an IANA time zone (e.g. Europe/London)"
        ) from None


@dataclass(frozen=True, slots=True)
class Preferences:
    """A recipient's choices; the defaults accept everything at any hour."""

    timezone: str | None = None
    quiet_hours: QuietHours | None = None
    # category key -> the channels accepted for it; a category not listed accepts all
    categories: Mapping[str, frozenset[Channel]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # channels refused for campaign messages of every category
    channels_off: frozenset[Channel] = frozenset()
    unsubscribed_all: bool = False

    def __post_init__(self) -> None:
        if self.timezone is not None:
            zone(self.timezone)
        if not isinstance(self.categories, MappingProxyType):
            object.__setattr__(self, "categories", MappingProxyType(dict(self.categories)))

    def accepts(self, category: str | None, channel: str) -> bool:
        """Whether a campaign message of ``category`` may reach them on ``channel``."""
        if self.unsubscribed_all or channel in self.channels_off:
            return False
        if category is None:
            return True
        return channel in self.categories.get(category, ALL_CHANNELS)

    def channels_for(self, category: str) -> frozenset[Channel]:
        """The channels a message of ``category`` may use (every refusal applied)."""
        if self.unsubscribed_all:
            return frozenset()
        return self.categories.get(category, ALL_CHANNELS) - self.channels_off
