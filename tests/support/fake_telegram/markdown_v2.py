"""MarkdownV2 as Telegram parses it (tdlib's parse_markdown_v2), for ``parse_mode``."""

from __future__ import annotations

RESERVED = "_*[]()~`>#+-=|{}.!"


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


def parse_markdown_v2(text: str) -> str:
    """The plain text of a MarkdownV2 message, as tdlib's parse_markdown_v2 reads it.

    A reserved character must be escaped with a backslash unless it opens or closes an
    entity; entities must be closed; inside code only the backtick is reserved; a link's
    URL runs to the first unescaped ``)``. Nesting rules beyond that are not checked.
    """
    out: list[str] = []
    stack: list[tuple[str, int]] = []  # (marker, byte offset where it opened)
    i, n = 0, len(text)

    def escaped(k: int) -> bool:
        return text[k] == "\\" and k + 1 < n and 0 < ord(text[k + 1]) <= 126

    while i < n:
        c = text[i]
        if escaped(i):
            out.append(text[i + 1])
            i += 2
            continue
        top = stack[-1][0] if stack else None
        if c not in ("`" if top in ("`", "```") else RESERVED):
            out.append(c)
            i += 1
            continue
        if top is None and (i == 0 or text[i - 1] == "\n"):  # blockquote line
            skip = 3 if text.startswith("**>", i) else 1 if c == ">" else 0
            if skip:
                i += skip
                continue
        if top is not None and _closes(top, text, i):
            stack.pop()
            i += 1 if top in ("[", "![") else len(top)
            if top in ("[", "![") and text[i : i + 1] == "(":
                start = i
                i += 1
                while i < n and text[i] != ")":
                    i += 2 if escaped(i) else 1
                if i >= n:
                    offset = len(text[:start].encode())
                    raise MarkupError(f"Can't find end of a URL at byte offset {offset}")
                i += 1
            elif top == "![":
                raise MarkupError("Custom emoji entity must contain a tg://emoji URL")
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
        stack.append((marker, len(text[:i].encode())))
        i += len(marker)
        if marker == "```":  # an optional language, then the first line break is dropped
            end = i
            while end < n and not text[end].isspace() and text[end] != "`":
                end += 1
            if end < n and text[end] != "`":
                i = end
            if text[i : i + 1] == "\n":
                i += 1
    if stack:
        marker, offset = stack[-1]
        raise MarkupError(
            f"Can't find end of {_ENTITY_NAMES[marker]} entity at byte offset {offset}"
        )
    return "".join(out)
