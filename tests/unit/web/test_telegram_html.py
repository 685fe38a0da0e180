"""Telegram messages drawn in HTML: the formatting shows, and nothing else gets through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald.messaging.templates.markdown import escape_markdown_v2
from herald.web.dashboard.telegram_html import markdown_v2_html, telegram_html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("*bold* and _italic_", "<b>bold</b> and <i>italic</i>"),
        ("__under__ ~gone~ ||secret||", "<u>under</u> <s>gone</s> <tg-spoiler>secret</tg-spoiler>"),
        ("1\\.5 \\* 2 \\- 1", "1.5 * 2 - 1"),
        ("`a\\`b` and ```py\nx = 1\n```", "<code>a`b</code> and <pre>x = 1\n</pre>"),
        ("[site](https://example.com/a\\)b)",
         '<a href="https://example.com/a)b" rel="noopener noreferrer">site</a>'),
        ("line\nnext", "line<br>next"),
        ("*never closed", "<b>never closed</b>"),
    ],
)  # fmt: skip
def test_markdown_v2_as_a_chat_shows_it(text: str, html: str) -> None:
    assert str(markdown_v2_html(text)) == html


def test_only_web_and_telegram_links_become_anchors() -> None:
    assert str(markdown_v2_html("[x](javascript:alert\\(1\\))")) == "<a>x</a>"
    assert 'href="tg://resolve?domain=bot"' in str(markdown_v2_html("[x](tg://resolve?domain=bot)"))


def test_html_parse_mode_keeps_telegrams_tags_only() -> None:
    shown = str(telegram_html('<b>hi</b> <script>x</script> <a href="javascript:y">z</a>', "HTML"))
    assert shown == "<b>hi</b> &lt;script&gt;x&lt;/script&gt; <a>z</a>"
    assert str(telegram_html("<b>open <i>both", "HTML")) == "<b>open <i>both</i></b>"


def test_plain_text_is_escaped() -> None:
    assert str(telegram_html("<b>&", None)) == "&lt;b&gt;&amp;"


@given(st.text())
def test_escaped_text_reads_back_as_written(text: str) -> None:
    import html

    shown = str(markdown_v2_html(escape_markdown_v2(text)))
    assert html.unescape(shown.replace("<br>", "\n")) == text


@given(st.text(alphabet=st.sampled_from(list("<>&\"'*_~|`[]()\\ab\n")), max_size=60))
def test_no_input_makes_a_tag_of_its_own(text: str) -> None:
    shown = str(markdown_v2_html(text))
    for tag in ("<script", "<img", "<iframe", "onerror", "javascript:"):
        assert tag not in shown


def test_anything_not_a_string_shows_as_nothing_and_links_never_nest() -> None:
    assert str(telegram_html(None, "MarkdownV2")) == ""
    assert str(telegram_html({"a": 1}, "HTML")) == ""
    nested = str(markdown_v2_html("[[in](https://a.example)](https://b.example)"))
    assert nested.count("<a ") == 1


def test_many_unclosed_markers_render_as_text() -> None:
    assert str(markdown_v2_html("[" * 5000)) == "[" * 5000
    assert str(markdown_v2_html("[a](" * 1000)) == "[a](" * 1000


def test_entities_drawn_as_the_app_shows_them() -> None:
    text = "Sale 🎉 now\nquote\nx = 1\nsee docs"
    entities = [
        {"type": "bold", "offset": 0, "length": 7},  # "Sale 🎉": the emoji is two units
        {"type": "spoiler", "offset": 8, "length": 3},
        {"type": "expandable_blockquote", "offset": 12, "length": 5},
        {"type": "pre", "offset": 18, "length": 5, "language": "py"},
        {"type": "text_link", "offset": 24, "length": 8, "url": "https://example.com/?a=1&b=2"},
        {"type": "underline", "offset": 28, "length": 4},
    ]
    assert str(telegram_html(text, None, entities)) == (
        "<b>Sale 🎉</b> <tg-spoiler>now</tg-spoiler><br>"
        '<blockquote class="expandable">quote</blockquote><br>'
        '<pre data-language="py">x = 1</pre><br>'
        '<a href="https://example.com/?a=1&amp;b=2" rel="noopener noreferrer">see <u>docs</u></a>'
    )


@pytest.mark.parametrize(
    ("entities", "html"),
    [
        ([{"type": "bold", "offset": 2, "length": 9}], "🎉&lt;i&gt;"),  # past the end
        ([{"type": "bold", "offset": 1, "length": 1}], "🎉&lt;i&gt;"),  # inside the emoji
        ([{"type": "italic", "offset": 2, "length": 0}], "🎉&lt;i&gt;"),  # empty
        ([{"type": "code", "offset": 0, "length": 5}, {"type": "bold", "offset": 2, "length": 1}],
         "<code>🎉&lt;i&gt;</code>"),  # nothing inside code
        ([{"type": "bold", "offset": 0, "length": 3}, {"type": "italic", "offset": 2, "length": 3}],
         "<b>🎉&lt;</b>i&gt;"),  # crossing
        ([{"type": "text_link", "offset": 0, "length": 2, "url": "javascript:x"}],
         "<a>🎉</a>&lt;i&gt;"),
        ([{"type": "mention", "offset": 0, "length": 2}, "junk", {"type": "bold"}], "🎉&lt;i&gt;"),
    ],
)  # fmt: skip
def test_entities_that_do_not_fit_are_left_out_and_text_stays_escaped(
    entities: list[object], html: str
) -> None:
    assert str(telegram_html("🎉<i>", None, entities)) == html


def test_a_parse_mode_wins_over_entities_as_in_telegram() -> None:
    shown = telegram_html("*a*", "MarkdownV2", [{"type": "italic", "offset": 0, "length": 3}])
    assert str(shown) == "<b>a</b>"
