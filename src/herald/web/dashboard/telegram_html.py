"""A Telegram message as a chat shows it, in HTML, for previews and the sandbox inbox.

Covers entities (what herald's posts carry: bold, italic, underline, strikethrough,
spoiler, code, pre with its language, text links, quotes and expandable quotes), the
MarkdownV2 herald's templates write (backslash escapes included) and Telegram's HTML
parse mode (its few tags kept, everything else shown as text). Whatever the input, the
output is safe: text is HTML-escaped and only ``http``, ``https`` and ``tg`` links
become anchors; entities that do not fit the text or cross another are left out.
"""

from __future__ import annotations

import html
import re

from markupsafe import Markup

_SAFE_URL = re.compile(r"^(https?|tg)://", re.IGNORECASE)
# Possessive, matched in place; with the memo of what cannot close (below), rendering
# stays linear however many "[", "(" or backticks a text holds.
_LABEL = re.compile(r"\[((?:\\.|[^\]\\])*+)\]")
_URL = re.compile(r"\(((?:\\.|[^)\\])*+)\)")
# Telegram's own limit is 4,096 characters; a longer text is shown cut, never rendered whole.
MAX_TEXT = 8192
_TOGGLES = {"*": "b", "_": "i", "__": "u", "~": "s", "||": "tg-spoiler"}
_HTML_TAGS = re.compile(
    r"<(/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|tg-spoiler|a)(\s+href=\"([^\"]*)\")?\s*>",
    re.IGNORECASE,
)


def _anchor(url: str) -> str:
    url = html.unescape(url)
    if _SAFE_URL.match(url):
        return f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer">'
    return "<a>"


def markdown_v2_html(text: str, *, links: bool = True) -> Markup:
    out: list[str] = []
    open_tags: list[str] = []
    unclosed: set[str] = set()  # markers with no closing one left in the text
    no_link_before = 0  # a "[" before here cannot start a link (an earlier try failed)
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            out.append(html.escape(text[i + 1]))
            i += 2
            continue
        if ch == "`":
            fence = "```" if text.startswith("```", i) else "`"
            start = i + len(fence)
            end = -1 if fence in unclosed else _closing(text, fence, start)
            if end == -1:
                unclosed.add(fence)
            else:
                inner = text[start:end]
                if fence == "```":
                    inner = inner.split("\n", 1)[1] if "\n" in inner else inner
                inner = re.sub(r"\\(.)", r"\1", inner)
                tag = "pre" if fence == "```" else "code"
                out.append(f"<{tag}>{html.escape(inner)}</{tag}>")
                i = end + len(fence)
                continue
        if ch == "[" and links and i >= no_link_before:
            label = _LABEL.match(text, i)
            url = _URL.match(text, label.end()) if label else None
            if label and url:
                shown = markdown_v2_html(label.group(1), links=False)  # links never nest
                target = re.sub(r"\\(.)", r"\1", url.group(1))
                out.append(f"{_anchor(html.escape(target))}{shown}</a>")
                i = url.end()
                continue
            # Every "[" up to the label's "]" would end at the same "]" and fail alike;
            # with no "]" (or no ")") left at all, no later link can close either.
            no_link_before = label.end() if label and text.find(")", label.end()) != -1 else n
        marker = next((m for m in ("__", "||", "*", "_", "~") if text.startswith(m, i)), None)
        if marker is not None:
            tag = _TOGGLES[marker]
            if open_tags and open_tags[-1] == tag:
                open_tags.pop()
                out.append(f"</{tag}>")
            else:
                open_tags.append(tag)
                out.append(f"<{tag}>")
            i += len(marker)
            continue
        out.append("<br>" if ch == "\n" else html.escape(ch))
        i += 1
    out.extend(f"</{tag}>" for tag in reversed(open_tags))
    return Markup("".join(out))


def _closing(text: str, marker: str, start: int) -> int:
    """Where ``marker`` next occurs unescaped from ``start``, or -1."""
    i = start
    while (i := text.find(marker, i)) != -1:
        j = i
        while j > start and text[j - 1] == "\\":
            j -= 1
        if (i - j) % 2 == 0:
            return i
        i += 1
    return -1


def telegram_html(text: object, parse_mode: object = None, entities: object = None) -> Markup:
    """``text`` rendered as Telegram would show it under ``parse_mode`` or, without
    one, with ``entities`` (with both, Telegram reads the parse mode). Any payload can
    reach the sandbox inbox, so anything that is not a string shows as empty."""
    text = text[:MAX_TEXT] if isinstance(text, str) else ""
    if parse_mode == "MarkdownV2":
        return markdown_v2_html(text)
    if parse_mode == "HTML":
        return _html_mode(text)
    return entities_html(text, entities if isinstance(entities, list) else [])


_TAGS = {  # entity type -> (opening tag, closing tag); text_link and pre are _opening's
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ("<tg-spoiler>", "</tg-spoiler>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "text_link": ("<a>", "</a>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="expandable">', "</blockquote>"),
}
_HOLD_NOTHING = ("</code>", "</pre>")  # closing tags of what no entity may be inside


def entities_html(text: str, entities: list[object]) -> Markup:
    """``text`` with Telegram ``entities`` (offsets in UTF-16 units) drawn as tags."""
    at_unit: dict[int, int] = {}  # UTF-16 offset -> index in text, at character starts
    units = 0
    for index, ch in enumerate(text):
        at_unit[units] = index
        units += 2 if ord(ch) > 0xFFFF else 1
    at_unit[units] = len(text)
    spans: list[tuple[int, int, dict[str, object]]] = []
    for entity in entities:
        if not isinstance(entity, dict) or entity.get("type") not in _TAGS:
            continue
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
            continue
        start, end = at_unit.get(offset), at_unit.get(offset + length)
        if start is not None and end is not None:
            spans.append((start, end, entity))
    spans.sort(key=lambda span: (span[0], -span[1]))
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (end, closing tag) of what is open
    pending = iter(spans)
    upcoming = next(pending, None)
    for index in range(len(text) + 1):
        while stack and stack[-1][0] == index:
            out.append(stack.pop()[1])
        while upcoming is not None and upcoming[0] == index:
            start, end, entity = upcoming
            inside = stack[-1] if stack else (len(text), "")
            if end <= inside[0] and inside[1] not in _HOLD_NOTHING:
                out.append(_opening(entity))
                stack.append((end, _TAGS[str(entity["type"])][1]))
            upcoming = next(pending, None)
        if index < len(text):
            out.append("<br>" if text[index] == "\n" else html.escape(text[index]))
    return Markup("".join(out))


def _opening(entity: dict[str, object]) -> str:
    kind = entity["type"]
    if kind == "text_link":
        return _anchor(html.escape(str(entity.get("url") or "")))
    if kind == "pre":
        language = entity.get("language")
        if isinstance(language, str) and language:
            return f'<pre data-language="{html.escape(language, quote=True)}">'
    return _TAGS[str(kind)][0]


def _html_mode(text: str) -> Markup:
    out: list[str] = []
    stack: list[str] = []
    last = 0
    for match in _HTML_TAGS.finditer(text):
        out.append(html.escape(html.unescape(text[last : match.start()])))
        closing, tag, _, href = match.groups()
        tag = tag.lower()
        if not closing:
            out.append(_anchor(href or "") if tag == "a" else f"<{tag}>")
            stack.append(tag)
        elif tag in stack:  # close it (and anything left open inside it)
            while stack:
                inner = stack.pop()
                out.append(f"</{inner}>")
                if inner == tag:
                    break
        last = match.end()
    out.append(html.escape(html.unescape(text[last:])))
    out.extend(f"</{tag}>" for tag in reversed(stack))
    return Markup("".join(out).replace("\n", "<br>"))
