"""Telegram MarkdownV2 escaping, by context, and a ``Markdown`` type for text that is safe.

Telegram rejects a MarkdownV2 message with an unescaped reserved character, and an
unescaped ``*`` or ``[`` in a variable would let the value add formatting or links of its
own. The rules (https://core.telegram.org/bots/api#markdownv2-style) depend on where the
text sits:

- ordinary text: each of ``_*[]()~`>#+-=|{}.!`` and ``\\`` gets a preceding backslash;
- inside ``pre`` and ``code`` entities: only the backtick and the backslash;
- inside the ``(...)`` part of an inline link: only ``)`` and the backslash.

``Markdown`` plays the part markupsafe's ``Markup`` plays for HTML: a ``str`` marking text
that is already valid MarkdownV2, so it is never escaped twice. The Telegram Jinja
environment escapes every value that is not ``Markdown`` as ordinary text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, SupportsIndex, get_args

MarkdownContext = Literal["text", "code", "link_url"]

RESERVED: dict[MarkdownContext, frozenset[str]] = {
    "text": frozenset("_*[]()~`>#+-=|{}.!\\"),
    "code": frozenset("`\\"),
    "link_url": frozenset(")\\"),
}

_TABLES: dict[MarkdownContext, dict[int, str]] = {
    context: {ord(ch): "\\" + ch for ch in chars} for context, chars in RESERVED.items()
}
_ESCAPED_CHAR = re.compile(r"\\(.)", re.DOTALL)


def escape_markdown_v2(text: str, context: MarkdownContext = "text") -> str:
    """Escape ``text`` for the given MarkdownV2 context (see the module docstring)."""
    try:
        table = _TABLES[context]
    except KeyError:
        options = ", ".join(get_args(MarkdownContext))
        raise ValueError(f"unknown MarkdownV2 context {context!r} (one of {options})") from None
    return text.translate(table)


def unescape_markdown_v2(text: str) -> str:
    """Drop the backslash of every ``\\x`` pair: the inverse of ``escape_markdown_v2``.

    Telegram lets any character be escaped, so this undoes escapes of any character,
    not only the reserved ones. A lone trailing backslash is left as it is.
    """
    return _ESCAPED_CHAR.sub(r"\1", text)


class Markdown(str):
    """Text that is already valid MarkdownV2; escaping leaves it alone.

    Joining keeps the guarantee: plain ``str`` operands are escaped as ordinary text,
    so ``Markdown("*") + value + Markdown("*")`` is bold ``value``, whatever it holds.
    Other ``str`` methods return plain ``str``, which is escaped again if output: over-
    escaped at worst, never unescaped.
    """

    __slots__ = ()

    def __add__(self, other: str) -> Markdown:
        if isinstance(other, str):
            return Markdown(str.__add__(self, markdown_escape(other)))
        return NotImplemented

    def __radd__(self, other: str) -> Markdown:
        if isinstance(other, str):
            return Markdown(str.__add__(markdown_escape(other), self))
        return NotImplemented

    def __mul__(self, count: SupportsIndex) -> Markdown:
        return Markdown(str.__mul__(self, count))

    def join(self, iterable: Iterable[str]) -> Markdown:
        return Markdown(str.join(self, (markdown_escape(part) for part in iterable)))

    def __repr__(self) -> str:
        return f"Markdown({str.__repr__(self)})"


def markdown_escape(value: object) -> Markdown:
    """``value`` as ordinary MarkdownV2 text; ``Markdown`` values pass through unchanged.

    This is the Telegram environment's ``finalize``: every ``{{ ... }}`` goes through it.
    """
    if isinstance(value, Markdown):
        return value
    return Markdown(escape_markdown_v2(str(value), "text"))


def code(value: object) -> Markdown:
    """``value`` escaped for inside a code span or pre block the template writes itself."""
    return Markdown(escape_markdown_v2(str(value), "code"))


def link_url(value: object) -> Markdown:
    """``value`` escaped for inside the ``(...)`` of an inline link the template writes."""
    return Markdown(escape_markdown_v2(str(value), "link_url"))


def link(text: object, url: object) -> Markdown:
    """A whole inline link ``[text](url)``; ``text`` may be ``Markdown`` (e.g. bold)."""
    return Markdown(f"[{markdown_escape(text)}]({link_url(url)})")


def mark_safe(value: object) -> Markdown:
    """Trust ``value`` as MarkdownV2 as it is: the Telegram environment's ``|safe``.

    For macro calls and ``{% set %}`` blocks, whose output was escaped when it was built.
    Never for variables: that is exactly the injection escaping exists to stop.
    """
    return Markdown(str(value))
