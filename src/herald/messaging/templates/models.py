"""What rendering produces, one frozen value per channel, and what a template offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from herald.channel import Channel

TELEGRAM_TEXT_LIMIT = 4096
"""Telegram's limit for a message's text; checked on the text as rendered."""

TELEGRAM_CALLBACK_DATA_LIMIT = 64
"""Telegram's limit for a button's callback_data, in bytes of UTF-8."""


@dataclass(frozen=True, slots=True)
class InlineButton:
    """One inline keyboard button: exactly one of ``url`` and ``callback_data`` is set."""

    text: str
    url: str | None = None
    callback_data: str | None = None

    def to_dict(self) -> dict[str, str]:
        """The Bot API's InlineKeyboardButton object."""
        out = {"text": self.text}
        if self.url is not None:
            out["url"] = self.url
        if self.callback_data is not None:
            out["callback_data"] = self.callback_data
        return out


# ``to_payload()`` gives the delivery payload each channel's sender reads.


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str

    def to_payload(self) -> dict[str, Any]:
        return {"subject": self.subject, "text": self.text, "html": self.html}


@dataclass(frozen=True, slots=True)
class RenderedTelegram:
    text: str
    buttons: tuple[tuple[InlineButton, ...], ...] = ()
    parse_mode: str = "MarkdownV2"

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": self.text, "parse_mode": self.parse_mode}
        if self.buttons:
            payload["buttons"] = [[b.to_dict() for b in row] for row in self.buttons]
        return payload


@dataclass(frozen=True, slots=True)
class RenderedPush:
    title: str
    body: str
    icon: str | None = None
    badge: str | None = None
    url: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> dict[str, Any]:
        """Absent optional fields are left out rather than sent as nulls."""
        payload: dict[str, Any] = {"title": self.title, "body": self.body}
        optional = {"icon": self.icon, "badge": self.badge, "url": self.url}
        payload.update({key: value for key, value in optional.items() if value is not None})
        if self.data:
            payload["data"] = self.data
        return payload


Rendered = RenderedEmail | RenderedTelegram | RenderedPush


@dataclass(frozen=True, slots=True)
class TemplateAudience:
    """What a template says about its messages' audience controls (docs/preferences.md):
    their ``category``; ``required`` messages ignore opt-outs, quiet hours and caps
    (only a template can say so); ``checked`` transactional messages are held to the
    recipient's preferences like campaign ones (transactional ones pass otherwise)."""

    category: str | None = None
    required: bool = False
    checked: bool = False


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """A template as the registry sees it at the default locale."""

    name: str
    channels: frozenset[Channel]
    locales: tuple[str, ...]
    required_variables: tuple[str, ...]
    optional_variables: tuple[str, ...] = ()
    description: str = ""
    example: dict[str, Any] = field(default_factory=dict)
    audience: TemplateAudience = field(default_factory=TemplateAudience)
