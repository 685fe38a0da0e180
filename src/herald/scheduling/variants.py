"""A/B variants of a promo: what each says, which chat gets which, and the test's life.

A promo testing variants has two to four of them, named A to D by position; each
gives the body and, optionally, the buttons' labels and the media (the buttons'
targets stay the promo's). Which variant a post shows is ``assign(chat, round, n)``:
a pure function of the chat and of the round (how many times the promo was posted
before during this test), so it is the same for the same slot whoever computes it,
each chat sees the variants in turn (exactly balanced for it over every n rounds),
and one round shows different variants in different chats. Ending the test keeps one
variant: its body, labels and media become the promo's own, and the test's record
(when, which) stays for analytics.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

MIN_VARIANTS = 2
MAX_VARIANTS = 4
NAMES = "ABCD"


class VariantError(ValueError):
    """A test that cannot be ended as asked: none running, or no such variant."""


@dataclass(frozen=True, slots=True)
class Variant:
    body: str
    labels: tuple[str, ...] = ()  # the buttons' texts in order; empty: the promo's own
    # media library ids shown instead of the promo's; None: the promo's, (): none
    media: tuple[int, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"body": self.body}
        if self.labels:
            data["labels"] = list(self.labels)
        if self.media is not None:
            data["media"] = list(self.media)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Variant:
        media = data.get("media")
        return cls(
            str(data["body"]),
            tuple(str(x) for x in data.get("labels") or ()),
            tuple(int(i) for i in media) if media is not None else None,
        )

    def shown_media(self, own: tuple[int, ...]) -> tuple[int, ...]:
        """The media a post of this variant carries (``own``: the promo's)."""
        return own if self.media is None else self.media

    def label(self, index: int, own: str) -> str:
        """Button ``index``'s text in this variant (``own``: the promo's)."""
        return self.labels[index] if index < len(self.labels) else own


@dataclass(frozen=True, slots=True)
class VariantTest:
    """The variants, when the test started, and (once ended) when and which was kept."""

    variants: tuple[Variant, ...]
    started_at: datetime
    ended_at: datetime | None = None
    kept: str | None = None

    @property
    def running(self) -> bool:
        return self.ended_at is None

    @property
    def names(self) -> str:
        return NAMES[: len(self.variants)]

    def variant(self, name: str) -> Variant:
        index = NAMES.find(name) if len(name) == 1 else -1
        if not 0 <= index < len(self.variants):
            raise VariantError(f"no variant {name!r}: this test has {', '.join(self.names)}")
        return self.variants[index]

    def ended(self, keep: str, now: datetime) -> VariantTest:
        if not self.running:
            raise VariantError("the test has ended already")
        self.variant(keep)
        return replace(self, ended_at=now, kept=keep)

    def to_json(self) -> dict[str, Any]:
        return {
            "variants": [v.to_json() for v in self.variants],
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "kept": self.kept,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> VariantTest | None:
        if not data:
            return None
        ended = data.get("ended_at")
        return cls(
            tuple(Variant.from_json(v) for v in data["variants"]),
            datetime.fromisoformat(data["started_at"]),
            datetime.fromisoformat(ended) if ended else None,
            data.get("kept"),
        )


def next_test(
    current: VariantTest | None, variants: Sequence[Variant], now: datetime
) -> VariantTest | None:
    """The test after the variants were written: the running one when they are the
    same (a form saved whole), a new one from ``now`` when they changed, none when the
    list is empty (an ended test's record is kept until a new one starts)."""
    if not variants:
        return current if current is not None and not current.running else None
    if current is not None and current.running and current.variants == tuple(variants):
        return current
    return VariantTest(tuple(variants), now)


def assign(chat_key: str, round_: int, count: int) -> int:
    """The variant (0-based) a post in ``chat_key`` shows in ``round_`` of a test of
    ``count`` variants. Each chat starts at an offset of its own (a stable hash, not
    Python's salted one) and moves one variant on per round."""
    if count < 1:
        raise ValueError("a test has at least one variant")
    offset = int.from_bytes(hashlib.sha256(chat_key.encode()).digest()[:8], "big")
    return (offset + round_) % count


def name(index: int) -> str:
    return NAMES[index]
