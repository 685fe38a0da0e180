"""What each kind of content may hold, named by field (scheduling.content_rules)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from herald.scheduling.content import Button, ContentDraft, Format, Kind
from herald.scheduling.content_rules import (
    MAX_CAPTION,
    MAX_TEXT,
    ContentRuleError,
    checked,
    checked_changes,
    fits_caption,
    fits_text,
)


def refusal(kind: Kind, draft: ContentDraft) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ContentRuleError) as raised:
        checked(kind, draft)
    return raised.value.loc, raised.value.msg


def test_a_promo_may_have_tracked_buttons_and_an_alert_text() -> None:
    draft = ContentDraft("VIP", "Join", buttons=(Button("Yes"),), alert_text="Thanks!")
    assert checked(Kind.PROMO, draft) is draft


def test_a_guides_buttons_are_links_and_it_has_no_alert_text() -> None:
    link = Button("Read", "https://example.com")
    assert refusal(Kind.GUIDE, ContentDraft("T", "B", buttons=(link, Button("Go"))))[0] == (
        "buttons", 1, "url",
    )  # fmt: skip
    tracked = Button("Read", "https://example.com", click=True)
    assert refusal(Kind.GUIDE, ContentDraft("T", "B", buttons=(tracked,)))[0] == (
        "buttons", 0, "click",
    )  # fmt: skip
    assert refusal(Kind.GUIDE, ContentDraft("T", "B", alert_text="hi"))[0] == ("alert_text",)


def test_title_body_and_footer_as_posted_share_one_limit_for_new_and_changed_items() -> None:
    # "T\n\n" + body: the separators count, as Telegram counts the text it is given.
    checked(Kind.PROMO, ContentDraft("T", "b" * (MAX_TEXT - 3)))
    loc, msg = refusal(Kind.PROMO, ContentDraft("T", "b" * (MAX_TEXT - 2)))
    assert loc == ("body",) and "would be 4097 characters" in msg and "allows 4096" in msg
    now = datetime(2026, 1, 1, tzinfo=UTC)
    item = ContentDraft("T" * 10, "b" * (MAX_TEXT - 24)).unsaved(Kind.GUIDE, now, 7)
    assert item.id == 7 and item.kind is Kind.GUIDE
    checked_changes(Kind.GUIDE, item, {"footer": "f" * 10})
    with pytest.raises(ContentRuleError) as raised:
        checked_changes(Kind.GUIDE, item, {"footer": "f" * 11})
    assert raised.value.loc == ("body",)


def test_the_limit_counts_code_points_with_the_markup_removed() -> None:
    """An emoji or an astral character is one character for the limit (two UTF-16 units
    in the entities), and markdown's markers and link urls do not count."""
    for filler in ("🎉", "😀", "é"):
        body = "**" + filler * (MAX_TEXT - 3) + "**"  # shown: "T\n\n" and that: exactly 4096
        markdown = ContentDraft("T", body, format=Format.MARKDOWN)
        assert checked(Kind.GUIDE, markdown) is markdown
        longer = ContentDraft("T", "**" + filler * (MAX_TEXT - 2) + "**", format=Format.MARKDOWN)
        assert refusal(Kind.GUIDE, longer)[0] == ("body",)
        # The same characters in plain text count their markers too.
        assert refusal(Kind.GUIDE, ContentDraft("T", body))[0] == ("body",)
    linked = "[" + "x" * (MAX_TEXT - 3) + "](https://example.com/" + "p" * 500 + ")"
    checked(Kind.GUIDE, ContentDraft("T", linked, format=Format.MARKDOWN))


def test_caption_and_text_limits() -> None:
    assert fits_text("🎉" * MAX_TEXT) and not fits_text("🎉" * (MAX_TEXT + 1))
    assert fits_caption("😀" * MAX_CAPTION) and not fits_caption("x" * (MAX_CAPTION + 1))


def test_malformed_markdown_is_refused_naming_the_body_and_the_position() -> None:
    draft = ContentDraft("T", "fine\nsee [docs](ftp://x.y)", format=Format.MARKDOWN)
    loc, msg = refusal(Kind.GUIDE, draft)
    assert loc == ("body",)
    assert msg.startswith("line 2, column 12: a link's url must be http:// or https://")
    plain = ContentDraft("T", "see [docs](ftp://x.y)", format=Format.PLAIN)
    assert checked(Kind.GUIDE, plain) is plain  # plain text is never markup
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ContentRuleError) as raised:
        checked_changes(Kind.GUIDE, plain.unsaved(Kind.GUIDE, now), {"format": "markdown"})
    assert raised.value.loc == ("body",) and "line 1, column 12" in raised.value.msg
