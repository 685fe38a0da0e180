"""MarkdownV2 as Telegram parses it (tdlib's parse_markdown_v2), for ``parse_mode``."""

from __future__ import annotations

from typing import Any

RESERVED = "_*[]()~`>#+-=|{}.!"

Body = dict[str, Any]


def utf16_len(text: str) -> int:
    """Telegram's offsets and lengths count UTF-16 code units: an emoji is two."""
    return len(text.encode("utf-16-le")) // 2


class MarkupError(ValueError):
    """MarkdownV2 Telegram would refuse; the text is Telegram's own description."""


def _closes(marker: str, text: str, i: int) -> bool:
    if marker == "_":
        return text[i] == "_" and text[i + 1 : i + 2] != "_"
    return text[i] == "]" if marker in ("[", "![") else text.startswith(marker, i)


_ENTITY_NAMES = {
    "*": "Bold",
    "_": "Italic",
    "__": "Underline",
    "~": "Strikethrough",
    "||": "Spoiler",
    "[": "TextUrl",
    "![": "CustomEmoji",
    "`": "Code",
    "```": "Pre",
}


_ENTITY_TYPES = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
    "[": "text_link",
    "![": "custom_emoji",
    "`": "code",
    "```": "pre",
}


def parse_markdown_v2(text: str) -> str:
    """The plain text of a MarkdownV2 message, as tdlib's parse_markdown_v2 reads it."""
    return parse_markdown_v2_entities(text)[0]


def parse_markdown_v2_entities(text: str) -> tuple[str, list[Body]]:
    """The plain text and the entities (UTF-16 offsets) of a MarkdownV2 message.

    A reserved character must be escaped with a backslash unless it opens or closes an
    entity; entities must be closed; inside code only the backtick is reserved; a link's
    URL runs to the first unescaped ``)``; ``>`` lines are a blockquote, ``**>`` lines
    ending in ``||`` an expandable one. Nesting rules beyond that are not checked.
    """
    out: list[str] = []
    units = 0  # the UTF-16 length of ``out``
    entities: list[Body] = []
    stack: list[tuple[str, int, int, str]] = []  # (marker, byte offset, start unit, language)
    quote: tuple[int, bool] | None = None  # (start unit, expandable) of the open blockquote
    i, n = 0, len(text)

    def escaped(k: int) -> bool:
        return text[k] == "\\" and k + 1 < n and 0 < ord(text[k + 1]) <= 126

    def emit(c: str) -> None:
        nonlocal units
        out.append(c)
        units += utf16_len(c)

    def close_quote() -> None:
        nonlocal quote
        if quote is not None:
            start, expandable = quote
            end = units - (1 if out and out[-1] == "\n" else 0)
            kind = "expandable_blockquote" if expandable else "blockquote"
            entities.append({"type": kind, "offset": start, "length": end - start})
            quote = None

    while i < n:
        c = text[i]
        line_start = i == 0 or text[i - 1] == "\n"
        quoted = c == ">" or text.startswith("**>", i)
        if line_start and quote is not None and not stack and not quoted:
            close_quote()
        if escaped(i):
            emit(text[i + 1])
            i += 2
            continue
        top = stack[-1][0] if stack else None
        if c not in ("`" if top in ("`", "```") else RESERVED):
            emit(c)
            i += 1
            continue
        if top is None and line_start:  # blockquote line
            skip = 3 if text.startswith("**>", i) else 1 if c == ">" else 0
            if skip:
                if quote is None:
                    quote = (units, skip == 3)
                i += skip
                continue
        if (
            top is None
            and quote is not None
            and quote[1]
            and text.startswith("||", i)
            and text[i + 2 : i + 3] in ("", "\n")
        ):
            i += 2
            close_quote()
            continue
        if top is not None and _closes(top, text, i):
            marker, _, begin, language = stack.pop()
            entity: Body = {"type": _ENTITY_TYPES[marker], "offset": begin, "length": units - begin}
            i += 1 if top in ("[", "![") else len(top)
            if top in ("[", "![") and text[i : i + 1] == "(":
                start = i
                i += 1
                url: list[str] = []
                while i < n and text[i] != ")":
                    url.append(text[i + 1] if escaped(i) else text[i])
                    i += 2 if escaped(i) else 1
                if i >= n:
                    offset = len(text[:start].encode())
                    raise MarkupError(f"Can't find end of a URL at byte offset {offset}")
                i += 1
                entity["url"] = "".join(url)
            elif top == "![":
                raise MarkupError("Custom emoji entity must contain a tg://emoji URL")
            elif top == "[":  # a link without a URL is plain text
                continue
            if marker == "```" and language:
                entity["language"] = language
            entities.append(entity)
            continue
        if c == "_":
            marker = "__" if text.startswith("__", i) else "_"
        elif c == "`":
            marker = "```" if text.startswith("```", i) else "`"
        elif c in "*~[" or text.startswith("||", i) or text.startswith("![", i):
            marker = text[i : i + 2] if c in "|!" else c
        else:
            raise MarkupError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        byte_offset = len(text[:i].encode())
        i += len(marker)
        language = ""
        if marker == "```":  # an optional language, then the first line break is dropped
            end = i
            while end < n and not text[end].isspace() and text[end] != "`":
                end += 1
            if end < n and text[end] != "`":
                language, i = text[i:end], end
            if text[i : i + 1] == "\n":
                i += 1
        stack.append((marker, byte_offset, units, language))
    if stack:
        marker, offset, _, _ = stack[-1]
        raise MarkupError(
            f"Can't find end of {_ENTITY_NAMES[marker]} entity at byte offset {offset}"
        )
    close_quote()
    kept = [e for e in entities if e["length"] > 0]
    return "".join(out), sorted(kept, key=lambda e: (e["offset"], -e["length"]))
