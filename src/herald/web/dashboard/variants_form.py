"""A promo's A/B variants as the content editor shows them: up to four rows of a body,
its button labels (one per line) and its media (library ids; blank: the promo's,
``none``: no media), read back into the API's ``variants`` body so
the form is checked by the API's own model and scheduling's rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from herald.scheduling.content import ContentItem
from herald.scheduling.variants import MAX_VARIANTS, NAMES

NO_MEDIA = "none"  # a variant without media under a promo with some


def form_of(item: ContentItem | None) -> list[dict[str, str]]:
    """The running test's variants as rows (none when no test runs)."""
    test = item.testing if item is not None else None
    if test is None:
        return []
    return [
        {"body": v.body, "labels": "\n".join(v.labels), "media": _media_text(v.media)}
        for v in test.variants
    ]


def _media_text(media: tuple[int, ...] | None) -> str:
    if media is None:
        return ""
    return ", ".join(str(i) for i in media) if media else NO_MEDIA


def read(form: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rows as submitted; a row with nothing in it is no variant."""

    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    rows = [
        {
            "body": text(f"variant-{i}-body"),
            "labels": text(f"variant-{i}-labels"),
            "media": text(f"variant-{i}-media"),
        }
        for i in range(MAX_VARIANTS)
    ]
    return [row for row in rows if row["body"] or row["labels"] or row["media"]]


def body(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The rows as the API's ``variants`` JSON (a media id that is no number is left
    as written, for the API's model to refuse naming the field)."""
    return [
        {
            "body": row["body"],
            "labels": [x.strip() for x in row["labels"].splitlines() if x.strip()],
            **_media(row.get("media", "")),
        }
        for row in rows
    ]


def _media(text: str) -> dict[str, Any]:
    if not text:
        return {}
    if text.lower() == NO_MEDIA:
        return {"media": []}
    ids = [x.strip() for x in text.replace(",", " ").split()]
    return {"media": [int(x) if x.isdigit() else x for x in ids]}


def shown(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows to draw: those filled in, named A-D, then empty ones up to four."""
    filled = [{**row, "name": NAMES[i]} for i, row in enumerate(rows)]
    empty = [
        {"body": "", "labels": "", "media": "", "name": NAMES[i]}
        for i in range(len(rows), MAX_VARIANTS)
    ]
    return filled + empty
