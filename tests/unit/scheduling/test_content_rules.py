"""What each kind of content may hold, named by field (scheduling.content_rules)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from herald.scheduling.content import Button, ContentDraft, Kind
from herald.scheduling.content_rules import (
    MAX_TEXT,
    TOO_LONG,
    ContentRuleError,
    checked,
    checked_changes,
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


def test_title_body_and_footer_share_one_limit_for_new_and_changed_items() -> None:
    assert refusal(Kind.PROMO, ContentDraft("T", "b" * MAX_TEXT)) == ((), TOO_LONG)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    item = ContentDraft("T" * 10, "b" * (MAX_TEXT - 20)).unsaved(Kind.GUIDE, now, 7)
    assert item.id == 7 and item.kind is Kind.GUIDE
    checked_changes(Kind.GUIDE, item, {"footer": "f" * 10})
    with pytest.raises(ContentRuleError) as raised:
        checked_changes(Kind.GUIDE, item, {"footer": "f" * 11})
    assert raised.value.loc == ()
