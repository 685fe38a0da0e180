"""A message's text and entities as Telegram checks them (TDLib's fix_formatted_text).

Offsets and lengths are UTF-16 code units; the length limits count code points after
the markup is parsed. ``parse_mode`` wins over ``entities``; zero-length entities are
dropped without a word; an entity that does not fit the text is refused with TDLib's
description.
"""

from __future__ import annotations

from typing import Any

from tests.support.fake_telegram.html import parse_html_entities
from tests.support.fake_telegram.markdown_v2 import (
    Body,
    MarkupError,
    parse_markdown_v2_entities,
    utf16_len,
)
from tests.support.fake_telegram.replies import Refused

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)


def formatted(
    text: str, parse_mode: Any, entities: Any, *, caption: bool = False
) -> tuple[str, list[Body]]:
    """The text and entities a message keeps, or Refused in Telegram's words."""
    mode = str(parse_mode or "").lower()
    if text and mode not in ("", "none"):
        if mode not in ("markdownv2", "markdown", "html"):
            raise Refused("Unsupported parse_mode")
        kept = []  # legacy Markdown is passed through as text
        try:
            if mode == "markdownv2":
                text, kept = parse_markdown_v2_entities(text)
            elif mode == "html":
                text, kept = parse_html_entities(text)
        except MarkupError as exc:
            raise Refused(f"can't parse entities: {exc}") from exc
    else:
        kept = checked_entities(text, entities)
    if not caption and not text.strip():
        raise Refused("Text must be non-empty")
    limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
    if len(text) > limit:  # a str's length is its code points, as TDLib's utf8_length
        raise Refused("message caption is too long" if caption else "message is too long")
    return text, kept


def checked_entities(text: str, entities: Any) -> list[Body]:
    """``entities`` as Telegram keeps them for ``text``: sorted, zero-length ones dropped."""
    if not entities:
        return []
    if not isinstance(entities, list):
        raise Refused("can't parse entities JSON object")
    parsed: list[Body] = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise Refused("Can't parse MessageEntity: expected an Object")
        for name in ("type", "offset", "length"):
            if name not in entity:
                raise Refused(f'Can\'t parse MessageEntity: Field "{name}" must be non-empty')
        for name in ("offset", "length"):
            if not isinstance(entity[name], int) or isinstance(entity[name], bool):
                raise Refused(f'Can\'t parse MessageEntity: Field "{name}" must be a number')
        if entity["type"] not in ENTITY_TYPES:
            raise Refused("Can't parse MessageEntity: Unsupported type specified")
        if entity["type"] == "text_link" and not entity.get("url"):
            raise Refused('Can\'t parse MessageEntity: Field "url" must be non-empty')
        parsed.append(dict(entity))
    for entity in parsed:
        if not 0 <= entity["offset"] <= 1_000_000:
            raise Refused(f"Receive an entity with incorrect offset {entity['offset']}")
        if not 0 <= entity["length"] <= 1_000_000:
            raise Refused(f"Receive an entity with incorrect length {entity['length']}")
    kept = sorted((e for e in parsed if e["length"] > 0), key=lambda e: (e["offset"], -e["length"]))
    _check_fit(text, kept)
    return kept


def _check_fit(text: str, entities: list[Body]) -> None:
    """TDLib's walk over the text: every entity begins and ends on a character boundary
    within the text (an offset inside an emoji's surrogate pair is refused)."""
    boundaries: dict[int, int] = {}  # UTF-16 offset of each character boundary -> byte offset
    units = byte = 0
    for c in text:
        boundaries[units] = byte
        units += utf16_len(c)
        byte += len(c.encode())
    boundaries[units] = byte
    for entity in entities:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        if start > units:
            raise Refused(f"Entity begins after the end of the text at UTF-16 offset {start}")
        if start not in boundaries:
            at = boundaries[start + 1]
            raise Refused(f"Entity begins in a middle of a UTF-16 symbol at byte offset {at}")
        if end > units:
            raise Refused(
                f"Entity beginning at UTF-16 offset {start} ends after the end of the text at "
                f"UTF-16 offset {end}"
            )
        if end not in boundaries:
            raise Refused(
                f"Entity beginning at UTF-16 offset {start} ends in a middle of a UTF-16 symbol "
                f"at byte offset {boundaries[end + 1]}"
            )
