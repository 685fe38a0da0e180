"""MarkdownV2 escaping by context, the Markdown type, links and code spans."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald.messaging.templates import (
    Markdown,
    MarkdownContext,
    escape_markdown_v2,
    link,
    unescape_markdown_v2,
)
from herald.messaging.templates.markdown import code, link_url, mark_safe, markdown_escape

TEXT_RESERVED = "_*[]()~`>#+-=|{}.!\\"
CONTEXT_RESERVED: dict[MarkdownContext, str] = {
    "text": TEXT_RESERVED,
    "code": "`\\",
    "link_url": ")\\",
}
CONTEXTS: list[MarkdownContext] = ["text", "code", "link_url"]


def unescaped(text: str, reserved: str) -> list[tuple[int, str]]:
    """Reserved characters of ``text`` not preceded by an escaping backslash.

    A backslash escapes the character after it; a lone trailing one counts as unescaped.
    """
    found: list[tuple[int, str]] = []
    i = 0
    while i < len(text):
        if text[i] == "\\":
            if i + 1 == len(text):
                found.append((i, "\\"))
            i += 2
            continue
        if text[i] in reserved:
            found.append((i, text[i]))
        i += 1
    return found


def markers(text: str) -> list[str]:
    """The characters Telegram would read as markup in a MarkdownV2 message, in order.

    Follows the contexts: inside a code span only the closing backtick counts, inside a
    link's ``(...)`` only the closing parenthesis, everywhere else every reserved one.
    """
    found: list[str] = []
    mode = "text"
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 == len(text):
                found.append("\\")
            i += 2
            continue
        if mode == "text" and ch in TEXT_RESERVED:
            found.append(ch)
            if ch == "`":
                mode = "code"
            elif ch == "]" and text.startswith("(", i + 1):
                found.append("(")
                mode = "link_url"
                i += 1
        elif (mode == "code" and ch == "`") or (mode == "link_url" and ch == ")"):
            found.append(ch)
            mode = "text"
        i += 1
    return found


# Reserved characters, backslashes and arbitrary Unicode, mixed.
any_text = st.text(alphabet=st.one_of(st.sampled_from(TEXT_RESERVED), st.characters()))


@pytest.mark.parametrize("char", list(TEXT_RESERVED))
def test_text_context_escapes_each_reserved_character(char: str) -> None:
    assert escape_markdown_v2(f"a{char}b") == f"a\\{char}b"


def test_text_context_escapes_all_of_them_together() -> None:
    escaped = escape_markdown_v2(TEXT_RESERVED)
    assert escaped == "".join("\\" + ch for ch in TEXT_RESERVED)
    assert unescaped(escaped, TEXT_RESERVED) == []


def test_text_context_leaves_ordinary_characters_alone() -> None:
    plain = "EURUSD 1,08 <b&amp; 'quote' \"double\" ü 🚨 \n\t:;?/@$%^"
    assert escape_markdown_v2(plain) == plain


def test_realistic_values() -> None:
    assert escape_markdown_v2("1.08500") == "1\\.08500"
    assert escape_markdown_v2("2025-01-15") == "2025\\-01\\-15"
    assert escape_markdown_v2("EUR_USD (m)!") == "EUR\\_USD \\(m\\)\\!"


@pytest.mark.parametrize("char", ["`", "\\"])
def test_code_context_escapes_backtick_and_backslash(char: str) -> None:
    assert escape_markdown_v2(f"x{char}y", "code") == f"x\\{char}y"


def test_code_context_leaves_other_reserved_characters() -> None:
    others = "".join(ch for ch in TEXT_RESERVED if ch not in "`\\")
    assert escape_markdown_v2(others, "code") == others
    assert escape_markdown_v2("a `b` \\n *c*", "code") == "a \\`b\\` \\\\n *c*"


@pytest.mark.parametrize("char", [")", "\\"])
def test_link_url_context_escapes_paren_and_backslash(char: str) -> None:
    assert escape_markdown_v2(f"x{char}y", "link_url") == f"x\\{char}y"


def test_link_url_context_leaves_other_reserved_characters() -> None:
    url = "https://example.com/a_b-c.d?q=(1)&x=*#frag"
    assert escape_markdown_v2(url, "link_url") == "https://example.com/a_b-c.d?q=(1\\)&x=*#frag"


def test_unknown_context_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown MarkdownV2 context 'html'"):
        escape_markdown_v2("x", "html")  # type: ignore[arg-type]


def test_unescape_drops_the_backslash_of_any_escaped_character() -> None:
    assert unescape_markdown_v2("1\\.5 \\*b\\* \\\\ \\a") == "1.5 *b* \\ a"
    assert unescape_markdown_v2("plain") == "plain"
    assert unescape_markdown_v2("trailing\\") == "trailing\\"


def test_markdown_escape_passes_markdown_through_and_escapes_the_rest() -> None:
    assert markdown_escape(Markdown("*bold*")) == "*bold*"
    assert markdown_escape("*bold*") == "\\*bold\\*"
    assert markdown_escape(Decimal("1.5")) == "1\\.5"
    assert markdown_escape(-2) == "\\-2"
    assert markdown_escape(None) == "None"
    assert isinstance(markdown_escape("x"), Markdown)


def test_joining_markdown_escapes_plain_operands() -> None:
    bold = Markdown("*") + "a*b" + Markdown("*")
    assert bold == "*a\\*b*"
    assert isinstance(bold, Markdown)
    assert "_x_" + Markdown("!") == "\\_x\\_!"
    assert Markdown(", ").join(["a.b", Markdown("*c*")]) == "a\\.b, *c*"
    assert Markdown("\\-") * 3 == "\\-\\-\\-"
    assert repr(Markdown("*x*")) == "Markdown('*x*')"


def test_joining_markdown_with_non_strings_is_not_supported() -> None:
    with pytest.raises(TypeError):
        Markdown("a") + 1  # type: ignore[operator]


def test_link_escapes_text_as_text_and_url_as_link_url() -> None:
    built = link("Open [pos_1]", "https://x.test/p?a=(1)\\")
    assert built == "[Open \\[pos\\_1\\]](https://x.test/p?a=(1\\)\\\\)"
    assert isinstance(built, Markdown)
    assert markers(built) == ["[", "]", "(", ")"]


def test_link_keeps_markdown_text() -> None:
    assert link(Markdown("*Open*"), "https://x.test") == "[*Open*](https://x.test)"


def test_code_and_link_url_helpers_return_markdown() -> None:
    assert code("a`b\\c*") == "a\\`b\\\\c*"
    assert isinstance(code("x"), Markdown)
    assert link_url("a)b") == "a\\)b"
    assert isinstance(link_url("x"), Markdown)
    assert mark_safe("*x*") == Markdown("*x*")


def test_scanner_sees_markers_by_context() -> None:
    # The helpers the property tests rely on must themselves be right.
    assert markers("*a* `x*y` [t](u_(v\\)) \\*") == ["*", "*", "`", "`", "[", "]", "(", ")"]
    assert unescaped("a\\*b*", "*") == [(4, "*")]
    assert unescaped("a\\", "\\") == [(1, "\\")]


@pytest.mark.parametrize("context", CONTEXTS)
@given(s=any_text)
def test_escaped_text_has_no_unescaped_reserved_character(context: MarkdownContext, s: str) -> None:
    assert unescaped(escape_markdown_v2(s, context), CONTEXT_RESERVED[context]) == []


@pytest.mark.parametrize("context", CONTEXTS)
@given(s=any_text)
def test_unescape_inverts_escape(context: MarkdownContext, s: str) -> None:
    assert unescape_markdown_v2(escape_markdown_v2(s, context)) == s


@given(s=any_text)
def test_bold_value_has_only_its_own_markers(s: str) -> None:
    assert markers(Markdown("*") + s + Markdown("*")) == ["*", "*"]


@given(text=any_text, url=any_text)
def test_built_links_have_only_their_own_markers(text: str, url: str) -> None:
    built = link(text, url)
    assert markers(built) == ["[", "]", "(", ")"]
    assert built.startswith("[" + escape_markdown_v2(text) + "](")
