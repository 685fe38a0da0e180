"""Scheduled posts: whatever a title, body or footer holds, Telegram must accept the
MarkdownV2 and show it exactly as written, and tracked CTAs must carry signed data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald.scheduling.content import Button, ContentItem, Kind
from herald.scheduling.post import PARSE_MODE, SafeMarkdownV2Message, preview, render_post
from herald.tracking.signing import MAX_CALLBACK_BYTES, Click, Signer
from tests.support.fake_telegram import MarkupError, parse_markdown_v2

RESERVED = "_*[]()~`>#+-=|{}.!\\"
NASTY = (
    "_*[]()~`>#+-=|{}.!\\ "
    "*bold?* _it?_ __u?__ ~s?~ ||sp?|| `code` ```pre``` [link](http://x.y) ![e](tg://emoji?id=1) "
    "\\ \\\\ \\* trailing\\"
)
TITLE = f"Title {NASTY} 🚀"
BODY = f"> quote?\n**> expandable?\n# heading?\n- item 1.\n+ 2!\n{NASTY}\n\nemoji 🎉👍🏽 é ß\n\\"
FOOTER = f"_{NASTY}_ 🏁"
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


def shown(text: str) -> str:
    """The text a chat shows; fails the test the way Telegram would refuse the message."""
    try:
        return parse_markdown_v2(text)
    except MarkupError as exc:
        pytest.fail(f"Telegram would refuse {text!r}: {exc}")


def test_every_reserved_character_reaches_the_chat_as_written() -> None:
    """The key guarantee: no content can break the markup or add formatting of its own."""
    payload = render_post(item(TITLE, BODY, FOOTER), SIGNER)
    assert payload["parse_mode"] == PARSE_MODE == "MarkdownV2"
    assert shown(payload["text"]) == f"{TITLE}\n\n{BODY.strip()}\n\n{FOOTER}"
    for ch in RESERVED:
        assert ch in TITLE and ch in BODY and ch in FOOTER


def test_title_is_bold_and_footer_italic() -> None:
    text = render_post(item("Hello.", "Body!", "Bye."), SIGNER)["text"]
    assert text == "*Hello\\.*\n\nBody\\!\n\n_Bye\\._"
    assert shown(text) == "Hello.\n\nBody!\n\nBye."


@pytest.mark.parametrize("ch", list(RESERVED))
@pytest.mark.parametrize("where", ["title", "body", "footer"])
def test_each_reserved_character_alone_and_at_the_edges(ch: str, where: str) -> None:
    """Edges matter most: a character next to the bold or italic markers."""
    for text in (ch, ch * 3, f"{ch}x{ch}", f"x{ch}"):
        parts = {"title": "T", "body": "B", "footer": "F", where: text}
        payload = render_post(item(parts["title"], parts["body"], parts["footer"]), SIGNER)
        assert shown(payload["text"]) == f"{parts['title']}\n\n{parts['body']}\n\n{parts['footer']}"


@given(title=st.text(), body=st.text(), footer=st.text())
def test_any_text_is_accepted_and_shown_exactly(title: str, body: str, footer: str) -> None:
    """Property: arbitrary text, reserved characters or not, round-trips through Telegram."""
    parts = [p.strip() for p in (title, body, footer) if p.strip()]
    payload = render_post(item(title, body, footer), SIGNER)
    if not parts:
        assert payload["text"] == ""
        return
    assert shown(payload["text"]) == "\n\n".join(parts)


@given(
    title=st.text().filter(lambda s: bool(s.strip())),
    body=st.text().filter(lambda s: bool(s.strip())),
    footer=st.text().filter(lambda s: bool(s.strip())),
)
def test_preview_plain_text_is_what_telegram_shows(title: str, body: str, footer: str) -> None:
    """The preview's plain_text must match what the parsed markup shows in a chat."""
    result = preview(item(title, body, footer), SIGNER)
    assert result["plain_text"] == f"{title.strip()}\n\n{body.strip()}\n\n{footer.strip()}"
    assert shown(result["text"]) == result["plain_text"]


def test_preview_has_the_payload_and_the_plain_text() -> None:
    content = item(TITLE, BODY, FOOTER, (Button("Go", "https://example.com"),))
    result = preview(content, SIGNER)
    plain = result.pop("plain_text")
    assert result == render_post(content, SIGNER)
    assert plain == f"{TITLE}\n\n{BODY.strip()}\n\n{FOOTER}"


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
    payload = render_post(content, SIGNER)
    assert shown(payload["text"]) == expected
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
        SafeMarkdownV2Message()
        .title("a*b")
        .body("c_d")
        .footer(None)
        .link_button("L", "https://example.com")
        .callback_button("C", "data")
    )
    assert message.text == "*a\\*b*\n\nc\\_d"
    assert message.payload() == {
        "text": "*a\\*b*\n\nc\\_d",
        "parse_mode": "MarkdownV2",
        "buttons": [
            [{"text": "L", "url": "https://example.com"}],
            [{"text": "C", "callback_data": "data"}],
        ],
    }
