"""Daily caps: most campaign messages a recipient gets per channel per local day (pure).

A category with a cap of its own counts only its own messages against it; every
other message counts against the channel's cap with all others of the day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

ALL = ""  # the count of every category's messages together


class OverCap(StrEnum):
    DEFER = "defer"  # to the recipient's next midnight
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class CapPolicy:
    daily: int | None = None  # None: no cap
    over: OverCap = OverCap.DEFER
    per_category: Mapping[str, int] = field(default_factory=dict)  # a category's own cap

    def bucket(self, category: str | None) -> tuple[str, int | None]:
        """The count a message of ``category`` is judged by, and its cap."""
        if category is not None and category in self.per_category:
            return category, self.per_category[category]
        return ALL, self.daily

    @property
    def any(self) -> bool:
        return self.daily is not None or bool(self.per_category)


def local_day(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def over(sent: int, cap: int | None) -> bool:
    """Whether one more message would go beyond ``cap`` after ``sent`` today."""
    return cap is not None and sent >= cap
