"""How a post is sent, apart from what it says: silently, protected, with which link
preview, and what happens to it afterwards (pinned, unpinned, deleted).

A content item's options are its defaults and a schedule's options override them field
by field; a field left unset (None) takes the other's value, and one unset on both is
Telegram's default. ``link_preview``, ``pin`` and ``delete_after_hours`` are one field
each: ``False`` turns them off (so a schedule can say "not here" to an item's pin),
a value turns them on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class PreviewSize(StrEnum):
    SMALL = "small"
    LARGE = "large"


@dataclass(frozen=True, slots=True)
class LinkPreview:
    """A preview shown: of ``url`` (else the text's first link), ``size`` (else
    Telegram's choice), above the text or below it."""

    url: str | None = None
    size: PreviewSize | None = None
    above_text: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.url:
            data["url"] = self.url
        if self.size is not None:
            data["size"] = self.size.value
        if self.above_text:
            data["above_text"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LinkPreview:
        size = data.get("size")
        return cls(
            url=data.get("url") or None,
            size=PreviewSize(size) if size else None,
            above_text=bool(data.get("above_text")),
        )

    def telegram(self) -> dict[str, Any]:
        """Bot API ``link_preview_options``."""
        shown: dict[str, Any] = {}
        if self.url:
            shown["url"] = self.url
        if self.size is PreviewSize.SMALL:
            shown["prefer_small_media"] = True
        elif self.size is PreviewSize.LARGE:
            shown["prefer_large_media"] = True
        if self.above_text:
            shown["show_above_text"] = True
        return shown


MAX_DELETE_AFTER_HOURS = 47  # Telegram lets a bot delete a message only within 48 hours


@dataclass(frozen=True, slots=True)
class Pin:
    """Pin the post once sent (``notify``: with a notification to the members), and
    unpin it ``unpin_after_hours`` after it was sent (None: it stays pinned)."""

    notify: bool = False
    unpin_after_hours: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"notify": self.notify, "unpin_after_hours": self.unpin_after_hours}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Pin:
        hours = data.get("unpin_after_hours")
        return cls(bool(data.get("notify")), None if hours is None else float(hours))


@dataclass(frozen=True, slots=True)
class PostOptions:
    silent: bool | None = None  # disable_notification
    protect_content: bool | None = None
    link_preview: LinkPreview | bool | None = None  # False: off; True is read as LinkPreview()
    pin: Pin | bool | None = None  # False: not pinned; True is read as Pin()
    delete_after_hours: float | bool | None = None  # False: never deleted

    def over(self, defaults: PostOptions) -> PostOptions:
        """These options where set, ``defaults`` elsewhere."""
        return PostOptions(
            silent=defaults.silent if self.silent is None else self.silent,
            protect_content=(
                defaults.protect_content if self.protect_content is None else self.protect_content
            ),
            link_preview=defaults.link_preview if self.link_preview is None else self.link_preview,
            pin=defaults.pin if self.pin is None else self.pin,
            delete_after_hours=(
                defaults.delete_after_hours
                if self.delete_after_hours is None
                else self.delete_after_hours
            ),
        )

    def to_json(self) -> dict[str, Any]:
        """Only the fields set: what is stored, and what the API answers."""
        data: dict[str, Any] = {}
        if self.silent is not None:
            data["silent"] = self.silent
        if self.protect_content is not None:
            data["protect_content"] = self.protect_content
        if isinstance(self.link_preview, LinkPreview):
            data["link_preview"] = self.link_preview.to_json()
        elif self.link_preview is not None:
            data["link_preview"] = self.link_preview
        if isinstance(self.pin, Pin):
            data["pin"] = self.pin.to_json()
        elif self.pin is not None:
            data["pin"] = self.pin
        if self.delete_after_hours is not None:
            data["delete_after_hours"] = self.delete_after_hours
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> PostOptions:
        data = data or {}
        preview = data.get("link_preview")
        pin = data.get("pin")
        return cls(
            silent=data.get("silent"),
            protect_content=data.get("protect_content"),
            link_preview=(
                LinkPreview.from_json(preview)
                if isinstance(preview, Mapping)
                else LinkPreview()
                if preview is True
                else preview
            ),
            pin=Pin.from_json(pin) if isinstance(pin, Mapping) else Pin() if pin is True else pin,
            delete_after_hours=data.get("delete_after_hours"),
        )

    def telegram(self) -> dict[str, Any]:
        """The sendMessage parameters these options add (none for Telegram's defaults)."""
        params: dict[str, Any] = {}
        if self.silent:
            params["disable_notification"] = True
        if self.protect_content:
            params["protect_content"] = True
        if self.link_preview is False:
            params["link_preview_options"] = {"is_disabled": True}
        elif isinstance(self.link_preview, LinkPreview):
            params["link_preview_options"] = self.link_preview.telegram()
        return params

    def afterwards(self) -> dict[str, Any]:
        """What follows the post once it is sent, as the post's payload carries it to the
        worker's observer (``effects``): ``{"pin": ..., "delete_after_hours": ...}``."""
        plan: dict[str, Any] = {}
        if isinstance(self.pin, Pin):
            plan["pin"] = self.pin.to_json()
        hours = self.delete_after_hours
        if hours is not False and hours is not None and hours is not True:
            plan["delete_after_hours"] = float(hours)
        return plan


NO_OPTIONS = PostOptions()
