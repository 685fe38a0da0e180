"""HTML as Telegram parses it for ``parse_mode="HTML"`` (after TDLib's parse_html): the
plain text and its entities, or TDLib's own description of what is wrong."""

from __future__ import annotations

import re

from tests.support.fake_telegram.markdown_v2 import Body, MarkupError, utf16_len

_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_TAGS = {*_SIMPLE, "a", "span", "tg-emoji", "tg-time", "pre", "code", "blockquote"}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|([A-Za-z]+));?")
_ATTRIBUTE = re.compile(r"""\s*([^\s=>/"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([\w.-]*)))?""")


def _reference(text: str, i: int) -> tuple[str, int] | None:
    """The character an ``&...`` reference at ``i`` stands for, and where it ends."""
    match = _REFERENCE.match(text, i)
    if match is None:
        return None
    hex_code, code, name = match.groups()
    if name is not None:
        char = _NAMED.get(name)
        return (char, match.end()) if char else None
    value = int(hex_code, 16) if hex_code else int(code)
    if value == 0 or value >= 0x10FFFF or match.end() - i - (text[match.end() - 1] == ";") >= 10:
        return None
    return chr(value), match.end()


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ref = _reference(value, i) if value[i] == "&" else None
        out.append(ref[0] if ref else value[i])
        i = ref[1] if ref else i + 1
    return "".join(out)


def parse_html_entities(text: str) -> tuple[str, list[Body]]:
    out: list[str] = []
    units = 0
    entities: list[Body] = []
    stack: list[tuple[str, str, int, int]] = []  # (tag, argument, start unit, start in out)
    i, n = 0, len(text)

    def byte(k: int) -> int:
        return len(text[:k].encode())

    while i < n:
        c = text[i]
        if c == "&" and (ref := _reference(text, i)) is not None:
            out.append(ref[0])
            units += utf16_len(ref[0])
            i = ref[1]
            continue
        if c != "<":
            out.append(c)
            units += utf16_len(c)
            i += 1
            continue
        begin = i
        end = text.find(">", i)
        if end < 0:
            raise MarkupError(f"Unclosed start tag at byte offset {byte(begin)}")
        if text[i + 1 : i + 2] != "/":
            name = re.match(r"[^\s>]*", text[i + 1 :])
            tag = name.group(0).lower() if name else ""
            if tag not in _TAGS:
                raise MarkupError(f'Unsupported start tag "{tag}" at byte offset {byte(begin)}')
            argument = ""
            for match in _ATTRIBUTE.finditer(text[i + 1 + len(tag) : end]):
                attribute, *values = match.groups()
                value = _unescape(next((v for v in values if v is not None), ""))
                if tag == "a" and attribute == "href":
                    argument = value
                elif tag == "code" and attribute == "class" and value.startswith("language-"):
                    argument = value.removeprefix("language-")
                elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                    argument = value.removeprefix("tg-")
                elif tag == "blockquote" and attribute == "expandable":
                    argument = "1"
                elif tag == "tg-emoji" and attribute == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise MarkupError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte(begin)}'
                )
            stack.append((tag, argument, units, len(out)))
            i = end + 1
            continue
        if not stack:
            raise MarkupError(f"Unexpected end tag at byte offset {byte(begin)}")
        closing = text[i + 2 : end].strip().lower()
        tag, argument, start, start_out = stack.pop()
        if closing and closing != tag:
            raise MarkupError(
                f'Unmatched end tag at byte offset {byte(begin)}, expected "</{tag}>", '
                f'found "</{closing}>"'
            )
        i = end + 1
        if units > start:
            entity = _entity(tag, argument, start, units - start, "".join(out[start_out:]))
            _merge(entities, entity)
    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _entity(tag: str, argument: str, offset: int, length: int, inner: str) -> Body | None:
    entity: Body = {"offset": offset, "length": length}
    if tag in _SIMPLE or tag == "span":
        return {"type": _SIMPLE.get(tag, "spoiler"), **entity}
    if tag == "a":
        url = argument or inner
        return {"type": "text_link", **entity, "url": url} if url else None
    if tag == "blockquote":
        return {"type": "expandable_blockquote" if argument else "blockquote", **entity}
    if tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0:
            raise MarkupError("Invalid custom emoji identifier specified")
        return {"type": "custom_emoji", **entity, "custom_emoji_id": argument}
    if tag == "code":
        return {"type": "code", **entity, "language": argument}
    if tag == "pre":
        return {"type": "pre", **entity}
    return None  # tg-time: no entity without a date


def _merge(entities: list[Body], entity: Body | None) -> None:
    """``<pre><code class="language-x">`` is one pre entity with its language."""
    if entity is None:
        return
    last = entities[-1] if entities else None
    same = last is not None and (last["offset"], last["length"]) == (
        entity["offset"],
        entity["length"],
    )
    if same and last is not None:
        if last["type"] == "code" and entity["type"] == "pre" and last.get("language"):
            last["type"] = "pre"
            return
        if last["type"] == "pre" and entity["type"] == "code" and entity.get("language"):
            last["language"] = entity["language"]
            return
    entities.append(entity)
