"""Scheduled posts: text plus entities with no parse mode, so whatever a title, body or
footer holds reaches the chat exactly as written; tracked CTAs carry signed data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald.scheduling.content import Button, ContentItem, Kind
from herald.scheduling.markup import to_entities
from herald.scheduling.post import PostMessage, preview, render_post
from herald.tracking.signing import MAX_CALLBACK_BYTES, Click, Signer

NASTY = (
    "_*[]()~`>#+-=|{}.!\\ "
    "*bold?* _it?_ __u?__ ~s?~ ||sp?|| `code` ```pre``` [link](http://x.y) <b>html?</b> "
    "\\ \\\\ \\* trailing\\"
)
SIGNER = Signer("unit-test-secret-key")
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def item(
    title: str = "Title",
    body: str = "Body",
    footer: str | None = None,
    buttons: tuple[Button, ...] = (),
    *,
    item_id: int = 7,
    kind: Kind = Kind.PROMO,
) -> ContentItem:
    return ContentItem(
        id=item_id,
        kind=kind,
        title=title,
        body=body,
        footer=footer,
        buttons=buttons,
        alert_text=None,
        enabled=True,
        seed_key=None,
        created_at=WHEN,
        updated_at=WHEN,
    )


def test_title_bold_and_footer_italic_by_entities_with_no_parse_mode() -> None:
    payload = render_post(item("Hello 🚀", "Body!", "Bye."), SIGNER)
    assert payload == {
        "text": "Hello 🚀\n\nBody!\n\nBye.",
        "parse_mode": None,
        "entities": [
            {"type": "bold", "offset": 0, "length": 8},  # the rocket is two UTF-16 units
            {"type": "italic", "offset": 17, "length": 4},
        ],
    }


def test_every_reserved_character_reaches_the_chat_as_written() -> None:
    """Nothing is parsed: markup characters in plain content are text, not formatting."""
    payload = render_post(item(f"T {NASTY}", f"> q\n{NASTY}", f"F {NASTY}"), SIGNER)
    assert payload["text"] == f"T {NASTY.strip()}\n\n> q\n{NASTY.strip()}\n\nF {NASTY.strip()}"
    assert [e["type"] for e in payload["entities"]] == ["bold", "italic"]


@given(title=st.text(), body=st.text(), footer=st.text())
def test_any_text_is_sent_as_written(title: str, body: str, footer: str) -> None:
    parts = [p.strip() for p in (title, body, footer) if p.strip()]
    payload = render_post(item(title, body, footer), SIGNER)
    assert payload["text"] == "\n\n".join(parts)
    assert preview(item(title, body, footer), SIGNER)["plain_text"] == payload["text"]


def test_a_formatted_body_lands_after_the_title_with_its_entities_moved() -> None:
    body = to_entities("  **Big** 🎉 [deal](https://example.com)\n> quoted  ")
    message = PostMessage().title("Sale 🎉").body(body).footer("ends soon")
    assert message.payload() == {
        "text": "Sale 🎉\n\nBig 🎉 deal\nquoted\n\nends soon",
        "parse_mode": None,
        "entities": [
            {"type": "bold", "offset": 0, "length": 7},
            {"type": "bold", "offset": 9, "length": 3},
            {"type": "text_link", "offset": 16, "length": 4, "url": "https://example.com"},
            {"type": "blockquote", "offset": 21, "length": 6},
            {"type": "italic", "offset": 29, "length": 9},
        ],
    }


def test_preview_has_the_payload_and_the_text_shown() -> None:
    content = item("T", NASTY, "F", (Button("Go", "https://example.com"),))
    result = preview(content, SIGNER)
    plain = result.pop("plain_text")
    assert result == render_post(content, SIGNER)
    assert plain == result["text"]


@pytest.mark.parametrize(
    ("title", "body", "footer", "expected"),
    [
        ("", "Body", None, "Body"),
        ("   ", "Body", "  \n ", "Body"),
        ("Title", "", None, "Title"),
        ("  Title  ", "\n Body \n", " Foot ", "Title\n\nBody\n\nFoot"),
        ("", "", "Foot", "Foot"),
    ],
)
def test_blank_parts_are_left_out_and_parts_are_stripped(
    title: str, body: str, footer: str | None, expected: str
) -> None:
    content = item(title, body, footer)
    assert render_post(content, SIGNER)["text"] == expected
    assert preview(content, SIGNER)["plain_text"] == expected


def test_no_buttons_means_no_buttons_key() -> None:
    assert "buttons" not in render_post(item(), SIGNER)


def test_link_buttons_keep_their_url_and_text_as_written() -> None:
    """Button texts are not markup: they must not be escaped."""
    url = "https://example.com/a_b?x=(1)&y=*"
    payload = render_post(item(buttons=(Button("Read *more* [here].", url),)), SIGNER)
    assert payload["buttons"] == [[{"text": "Read *more* [here].", "url": url}]]


def test_tracked_button_gets_signed_callback_data() -> None:
    """A promo CTA without a url is a tracked click: its data is signed and verifiable."""
    content = item(buttons=(Button("Docs", "https://example.com/docs"), Button("Claim!")))
    rows = render_post(content, SIGNER)["buttons"]
    assert rows[0] == [{"text": "Docs", "url": "https://example.com/docs"}]
    [claim] = rows[1]
    assert set(claim) == {"text", "callback_data"}
    assert claim["text"] == "Claim!"
    assert claim["callback_data"] == SIGNER.sign(7, 1)
    assert SIGNER.verify(claim["callback_data"]) == Click(promo_id=7, cta=1)
    assert Signer("another-key").verify(claim["callback_data"]) is None


def test_callback_data_fits_telegrams_limit_for_huge_ids() -> None:
    buttons = tuple(Button(f"CTA {i}") for i in range(10))
    rows = render_post(item(buttons=buttons, item_id=10**18 - 1), SIGNER)["buttons"]
    for index, [button] in enumerate(rows):
        assert len(button["callback_data"].encode()) <= MAX_CALLBACK_BYTES == 64
        assert SIGNER.verify(button["callback_data"]) == Click(10**18 - 1, index)


def test_each_button_is_on_its_own_row_in_order() -> None:
    buttons = (
        Button("One", "https://example.com/1"),
        Button("Two"),
        Button("Three", "https://example.com/3"),
        Button("Four"),
    )
    rows = render_post(item(buttons=buttons), SIGNER)["buttons"]
    assert [len(row) for row in rows] == [1, 1, 1, 1]
    assert [row[0]["text"] for row in rows] == ["One", "Two", "Three", "Four"]
    assert SIGNER.verify(rows[3][0]["callback_data"]) == Click(7, 3)


def test_builder_can_be_used_directly() -> None:
    message = (
        PostMessage()
        .title("a*b")
        .body("c_d")
        .footer(None)
        .link_button("L", "https://example.com")
        .callback_button("C", "data")
    )
    assert message.payload() == {
        "text": "a*b\n\nc_d",
        "parse_mode": None,
        "entities": [{"type": "bold", "offset": 0, "length": 3}],
        "buttons": [
            [{"text": "L", "url": "https://example.com"}],
            [{"text": "C", "callback_data": "data"}],
        ],
    }
