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
