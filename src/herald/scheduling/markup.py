"""herald's markdown subset, converted to plain text plus Telegram entities.

A post written in markdown is sent as the text a chat shows and a list of ``entities``
(offsets and lengths in UTF-16 code units, as the Bot API counts them) with no
``parse_mode``: Telegram parses nothing, so nothing can fail to parse. Everything that
could be refused is refused here instead, as a MarkupError naming the line and column.

The subset (docs/scheduling.md):

- inline, closed on the line where it opens: ``**bold**``, ``_italic_``,
  ``__underline__``, ``~~strike~~``, ``||spoiler||``, ```code```, ``[text](https://...)``
  (http and https only); they nest, except that code holds nothing and links hold no
  link and no code;
- lines starting with ``>`` are a quote, lines starting with ``>!`` an expandable quote
  (one optional space after the marker is dropped);
- a line `````lang`` opens a fenced block (``pre``, with its language), ````` `` closes
  it; the lines between are taken as written;
- a backslash before any ASCII punctuation character makes it literal (``\\*``, ``\\_``,
  ``\\>`` at the start of a line); other backslashes are literal.

A single ``*``, ``~`` or ``|``, a ``]`` or a parenthesis outside a link are plain text;
every ``_`` is a marker (write ``\\_`` for an underscore).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

MAX_URL = 2048
_PUNCTUATION = frozenset(string.punctuation)
_FENCE = re.compile(r"^```([A-Za-z0-9_+#.-]*)\s*$")
_TOGGLES = {"**": "bold", "__": "underline", "~~": "strikethrough", "||": "spoiler", "_": "italic"}


def utf16_length(text: str) -> int:
    """Telegram's unit for entity offsets and lengths: an astral character counts two."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class MarkupError(ValueError):
    """Markup Telegram would refuse or show differently from what was meant; ``line``
    and ``column`` (both from 1, columns in characters) point at the cause."""

    def __init__(self, line: int, column: int, reason: str) -> None:
        super().__init__(f"line {line}, column {column}: {reason}")
        self.line = line
        self.column = column
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Entity:
    """One Telegram MessageEntity; ``offset`` and ``length`` in UTF-16 code units."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None

    def shifted(self, by: int) -> Entity:
        return Entity(self.type, self.offset + by, self.length, self.url, self.language)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.url is not None:
            data["url"] = self.url
        if self.language:
            data["language"] = self.language
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entity:
        return cls(
            str(data["type"]), int(data["offset"]), int(data["length"]),
            data.get("url"), data.get("language"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Formatted:
    """Text as a chat shows it, and its entities (outer before inner at one offset)."""

    text: str
    entities: tuple[Entity, ...] = ()

    def stripped(self) -> Formatted:
        """Without leading and trailing whitespace (Telegram trims it), the entities
        clipped to what is left and dropped where nothing is."""
        text = self.text.strip()
        if not text:
            return Formatted("")
        start = utf16_length(self.text[: len(self.text) - len(self.text.lstrip())])
        end = start + utf16_length(text)
        kept = []
        for e in self.entities:
            lo, hi = max(e.offset, start), min(e.offset + e.length, end)
            if hi > lo:
                kept.append(Entity(e.type, lo - start, hi - lo, e.url, e.language))
        return Formatted(text, tuple(kept))


@dataclass(slots=True)
class _Open:
    kind: str  # an entity type
    marker: str
    line: int
    column: int
    offset: int  # UTF-16 offset in the output where it starts
    url: str | None = None


@dataclass(slots=True)
class _Writer:
    parts: list[str] = field(default_factory=list)
    offset: int = 0  # in UTF-16 units
    entities: list[Entity] = field(default_factory=list)  # in the order they close

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.offset += utf16_length(text)

    def entity(
        self, kind: str, start: int, *, url: str | None = None, language: str | None = None
    ) -> None:
        """An entity from ``start`` to what was written so far."""
        self.entities.append(Entity(kind, start, self.offset - start, url, language))

    def result(self) -> Formatted:
        # Outer before inner: by offset, the longer first, and of one span the one
        # that closed later.
        order = sorted(range(len(self.entities)), key=lambda k: self._outer_first(k))
        return Formatted("".join(self.parts), tuple(self.entities[k] for k in order))

    def _outer_first(self, index: int) -> tuple[int, int, int]:
        entity = self.entities[index]
        return entity.offset, -entity.length, -index


def to_entities(source: str) -> Formatted:
    """``source`` in herald's markdown subset as text and entities, or MarkupError."""
    out = _Writer()
    lines = source.replace("\r\n", "\n").split("\n")
    quote: tuple[str, int] | None = None  # the open quote's type and output offset
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        kind, rest, skipped = _quote_of(line)
        if quote is not None and quote[0] != kind:
            _close_quote(out, quote, number - 1)
            quote = None
        if number > 1:
            out.write("\n")
        if kind is not None and quote is None:
            quote = (kind, out.offset)
        fence = _FENCE.match(line) if kind is None else None
        if fence is not None:
            number = _fenced(out, lines, number, fence.group(1))
            continue
        _inline(out, rest, number, skipped)
    if quote is not None:
        _close_quote(out, quote, len(lines))
    return out.result()


def _quote_of(line: str) -> tuple[str | None, str, int]:
    """The quote type a line belongs to (or None), its text, and how many characters
    of markup came before that text."""
    for marker, kind in ((">!", "expandable_blockquote"), (">", "blockquote")):
        if line.startswith(marker):
            skipped = len(marker) + (1 if line[len(marker) : len(marker) + 1] == " " else 0)
            return kind, line[skipped:], skipped
    return None, line, 0


def _close_quote(out: _Writer, quote: tuple[str, int], last_line: int) -> None:
    kind, start = quote
    if out.offset == start:
        raise MarkupError(last_line, 1, "a quote must hold some text")
    out.entity(kind, start)


def _fenced(out: _Writer, lines: list[str], number: int, language: str) -> int:
    """Write a fenced block whose opening line is ``number``; the number of the line
    after its closing fence."""
    opened = number
    inner: list[str] = []
    while number < len(lines):
        line = lines[number]
        number += 1
        if line.strip() == "```":
            text = "\n".join(inner)
            if not text:
                raise MarkupError(opened, 1, "a fenced block must hold some text")
            start = out.offset
            out.write(text)
            out.entity("pre", start, language=language or None)
            return number
        inner.append(line)
    raise MarkupError(opened, 1, "a fenced block opened here is never closed with ```")


def _inline(out: _Writer, text: str, line: int, skipped: int) -> None:
    """One line's inline markup; every marker opened on it must close on it."""
    stack: list[_Open] = []
    i = 0
    n = len(text)

    def column(at: int) -> int:
        return skipped + at + 1

    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in _PUNCTUATION:
            out.write(text[i + 1])
            i += 2
            continue
        if ch == "`":
            end = text.find("`", i + 1)
            if end == -1:
                raise MarkupError(line, column(i), "` (code) is never closed on this line")
            if end == i + 1:
                raise MarkupError(line, column(i), "`` is empty code")
            if any(o.kind == "text_link" for o in stack):
                raise MarkupError(line, column(i), "code cannot be part of a link's text")
            start = out.offset
            out.write(text[i + 1 : end])
            out.entity("code", start)
            i = end + 1
            continue
        if ch == "[":
            if any(o.kind == "text_link" for o in stack):
                raise MarkupError(line, column(i), "a link cannot hold another link")
            stack.append(_Open("text_link", "[", line, column(i), out.offset))
            i += 1
            continue
        if ch == "]" and stack and stack[-1].kind == "text_link":
            url, i = _link_target(text, i + 1, line, column)
            opened = stack.pop()
            if out.offset == opened.offset:
                raise MarkupError(line, opened.column, "a link needs some text in [...]")
            out.entity("text_link", opened.offset, url=url)
            continue
        if ch == "]" and any(o.kind == "text_link" for o in stack):
            inner = stack[-1]
            raise MarkupError(
                line,
                column(i),
                f"{inner.marker} opened at column {inner.column} must close before ]",
            )
        marker = _marker_at(text, i, stack)
        if marker is None:
            out.write(ch)
            i += 1
            continue
        kind = _TOGGLES[marker]
        if stack and stack[-1].kind == kind:
            opened = stack.pop()
            if out.offset == opened.offset:
                raise MarkupError(line, opened.column, f"{marker}{marker} is empty {kind}")
            out.entity(kind, opened.offset)
        elif any(o.kind == kind for o in stack):
            inner = stack[-1]
            raise MarkupError(
                line,
                column(i),
                f"{inner.marker} opened at column {inner.column} must close before {marker}",
            )
        else:
            stack.append(_Open(kind, marker, line, column(i), out.offset))
        i += len(marker)
    if stack:
        opened = stack[-1]
        what = "[ (a link)" if opened.kind == "text_link" else f"{opened.marker} ({opened.kind})"
        raise MarkupError(line, opened.column, f"{what} is never closed on this line")


def _marker_at(text: str, i: int, stack: list[_Open]) -> str | None:
    """The marker starting at ``i``. ``___`` closes an open italic before it reads
    ``__``, so ``_a___b__`` and ``__a _b___`` mean what they look like."""
    if text.startswith("___", i) and stack and stack[-1].kind == "italic":
        return "_"
    for marker in ("**", "__", "~~", "||", "_"):
        if text.startswith(marker, i):
            return marker
    return None


def _link_target(text: str, i: int, line: int, column: Any) -> tuple[str, int]:
    """The url of ``(...)`` at ``i`` (a ``\\)`` in it is a parenthesis) and where it ends."""
    if not text.startswith("(", i):
        raise MarkupError(line, column(i - 1), "a link needs its (url) right after ]")
    chars: list[str] = []
    j = i + 1
    while j < len(text) and text[j] != ")":
        if text[j] == "\\" and j + 1 < len(text) and text[j + 1] in _PUNCTUATION:
            j += 1
        chars.append(text[j])
        j += 1
    if j == len(text):
        raise MarkupError(line, column(i), "a link's (url) is never closed on this line")
    url = "".join(chars)
    parts = urlsplit(url) if not any(c.isspace() for c in url) else None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise MarkupError(line, column(i + 1), f"a link's url must be http:// or https://: {url!r}")
    if len(url) > MAX_URL:
        raise MarkupError(line, column(i + 1), f"a link's url is longer than {MAX_URL} characters")
    return url, j + 1
