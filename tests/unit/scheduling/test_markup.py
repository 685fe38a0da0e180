"""herald's markdown subset: each construct, nesting, escapes, errors with their position,
and offsets in UTF-16 units; a property test over random documents of the subset."""

from __future__ import annotations

import string
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herald.scheduling.markup import Entity, Formatted, MarkupError, to_entities, utf16_length


def entities(source: str) -> list[tuple[str, int, int]]:
    return [(e.type, e.offset, e.length) for e in to_entities(source).entities]


def problems(formatted: Formatted) -> list[str]:
    """What Telegram would find wrong with the entities: each inside the text in UTF-16
    units and not empty, any two nested or apart, nothing inside code or pre, no link
    in a link and no quote in a quote."""
    size = utf16_length(formatted.text)
    found = []
    for e in formatted.entities:
        if e.length <= 0 or e.offset < 0 or e.offset + e.length > size:
            found.append(f"{e} is outside 0..{size}")
    listed = formatted.entities
    for i, a in enumerate(listed):
        for j, b in enumerate(listed):
            if i == j:
                continue
            a_end, b_end = a.offset + a.length, b.offset + b.length
            if a.offset < b.offset < a_end < b_end:
                found.append(f"{a} and {b} cross")
            same = (a.offset, a_end) == (b.offset, b_end)
            inside = a.offset <= b.offset and b_end <= a_end and (i < j or not same)
            if inside and a.type in ("code", "pre"):
                found.append(f"{b} is inside {a}")
            if inside and a.type == b.type == "text_link":
                found.append(f"{b} is a link in a link")
            if inside and "blockquote" in a.type and "blockquote" in b.type:
                found.append(f"{b} is a quote in a quote")
    return found


@pytest.mark.parametrize(
    ("source", "text", "kind"),
    [
        ("**bold**", "bold", "bold"),
        ("_italic_", "italic", "italic"),
        ("__underline__", "underline", "underline"),
        ("~~strike~~", "strike", "strikethrough"),
        ("||spoiler||", "spoiler", "spoiler"),
        ("`a * b`", "a * b", "code"),
    ],
)
def test_each_inline_construct(source: str, text: str, kind: str) -> None:
    formatted = to_entities(f"x {source} y")
    assert formatted.text == f"x {text} y"
    assert formatted.entities == (Entity(kind, 2, len(text)),)


def test_a_link_keeps_its_url_and_may_hold_formatting() -> None:
    formatted = to_entities("see [the **docs**](https://example.com/a_(b\\)) now")
    assert formatted.text == "see the docs now"
    assert formatted.entities == (
        Entity("text_link", 4, 8, url="https://example.com/a_(b)"),
        Entity("bold", 8, 4),
    )


def test_a_fenced_block_is_pre_with_its_language_and_its_lines_as_written() -> None:
    formatted = to_entities("Run:\n```python\nx = a_b ** 2  # **not bold**\n\nprint(x)\n```\ndone")
    assert formatted.text == "Run:\nx = a_b ** 2  # **not bold**\n\nprint(x)\ndone"
    assert formatted.entities == (Entity("pre", 5, 38, language="python"),)
    assert to_entities("```\nplain\n```").entities == (Entity("pre", 0, 5),)


def test_quote_lines_and_an_expandable_quote() -> None:
    formatted = to_entities("> first\n>second _it_\nplain\n>! hidden\n>!more")
    assert formatted.text == "first\nsecond it\nplain\nhidden\nmore"
    assert formatted.entities == (
        Entity("blockquote", 0, 15),
        Entity("italic", 13, 2),
        Entity("expandable_blockquote", 22, 11),
    )
    # A change of kind starts another quote.
    assert entities("> a\n>! b") == [("blockquote", 0, 1), ("expandable_blockquote", 2, 1)]


def test_nesting() -> None:
    assert entities("**a _b __c ~~d ||e|| d~~ c__ b_ a**") == [
        ("bold", 0, 17),
        ("italic", 2, 13),
        ("underline", 4, 9),
        ("strikethrough", 6, 5),
        ("spoiler", 8, 1),
    ]
    assert entities("**__both__**") == [("bold", 0, 4), ("underline", 0, 4)]


@pytest.mark.parametrize(
    ("source", "shown", "kinds"),
    [
        ("_a___b__", "ab", [("italic", 0, 1), ("underline", 1, 1)]),
        ("__a _b___", "a b", [("underline", 0, 3), ("italic", 2, 1)]),
        ("_a __b__ c_", "a b c", [("italic", 0, 5), ("underline", 2, 1)]),
        ("**a****b**", "ab", [("bold", 0, 1), ("bold", 1, 1)]),
    ],
)
def test_runs_of_underscores_mean_what_they_look_like(
    source: str, shown: str, kinds: list[tuple[str, int, int]]
) -> None:
    assert to_entities(source).text == shown
    assert entities(source) == kinds


def test_escapes_make_markers_literal() -> None:
    source = "\\*\\*no\\*\\* \\_ \\`x\\` \\[a\\](https://x.y) \\\\ \\|\\| \\~\\~ c:\\path\\z"
    formatted = to_entities(source + "\n\\> not a quote\n\\`\\`\\`\nstill text")
    assert formatted.text == (
        "**no** _ `x` [a](https://x.y) \\ || ~~ c:\\path\\z\n> not a quote\n```\nstill text"
    )
    assert formatted.entities == ()


def test_lone_markers_that_are_not_the_subsets_are_text() -> None:
    formatted = to_entities("2 * 3 ~ 4 | 5 (a) ] x > y >! z")
    assert formatted == Formatted("2 * 3 ~ 4 | 5 (a) ] x > y >! z")


def test_offsets_and_lengths_are_utf16_units() -> None:
    formatted = to_entities("🚀 **go 🎉** `😀` [é](https://x.y)")
    assert formatted.text == "🚀 go 🎉 😀 é"
    assert formatted.entities == (
        Entity("bold", 3, 5),
        Entity("code", 9, 2),
        Entity("text_link", 12, 1, url="https://x.y"),
    )


@pytest.mark.parametrize(
    ("source", "line", "column", "says"),
    [
        ("**open", 1, 1, "** (bold) is never closed"),
        ("ok\n  _open", 2, 3, "_ (italic) is never closed"),
        ("**bold\nmore**", 1, 1, "never closed on this line"),
        ("a `code", 1, 3, "never closed"),
        ("a `` b", 1, 3, "empty code"),
        ("****", 1, 1, "empty bold"),
        ("**a __b** c__", 1, 8, "__ opened at column 5 must close before **"),
        ("[text] no url", 1, 6, "(url) right after ]"),
        ("[text](https://x.y", 1, 7, "never closed"),
        ("[text](ftp://x.y)", 1, 8, "http:// or https://"),
        ("[text](javascript:alert(1))", 1, 8, "http:// or https://"),
        ("[text](https:// x.y)", 1, 8, "http:// or https://"),
        ("[](https://x.y)", 1, 1, "needs some text"),
        ("[a [b](https://x.y)](https://x.y)", 1, 4, "cannot hold another link"),
        ("[a `b`](https://x.y)", 1, 4, "code cannot be part"),
        ("[a **b](https://x.y)**", 1, 7, "** opened at column 4 must close before ]"),
        ("[open link", 1, 1, "[ (a link) is never closed"),
        ("text\n```py\ncode", 2, 1, "never closed with ```"),
        ("```\n```", 1, 1, "must hold some text"),
        (">", 1, 1, "a quote must hold some text"),
        ("> **x", 1, 3, "** (bold) is never closed"),
        ("snake_case", 1, 6, "_ (italic) is never closed"),
    ],
)
def test_malformed_markup_names_its_position(
    source: str, line: int, column: int, says: str
) -> None:
    with pytest.raises(MarkupError) as raised:
        to_entities(source)
    assert (raised.value.line, raised.value.column) == (line, column)
    assert says in raised.value.reason
    assert str(raised.value).startswith(f"line {line}, column {column}: ")


def test_stripped_trims_the_text_and_clips_the_entities() -> None:
    formatted = to_entities("  \n**🎉 a ** _b_\n> c \n ")
    assert formatted.stripped() == Formatted(
        "🎉 a  b\n> c".replace("> ", ""),
        (Entity("bold", 0, 5), Entity("italic", 6, 1), Entity("blockquote", 8, 1)),
    )
    assert to_entities(" ** ** ").stripped() == Formatted("")
    assert to_entities("a\n>  \n").stripped() == Formatted("a")


def test_entities_in_json_as_the_bot_api_takes_them() -> None:
    assert [e.to_json() for e in to_entities("```js\nx\n```\n[a](https://x.y)").entities] == [
        {"type": "pre", "offset": 0, "length": 1, "language": "js"},
        {"type": "text_link", "offset": 2, "length": 1, "url": "https://x.y"},
    ]
    entity = Entity("text_link", 1, 2, url="https://x.y")
    assert Entity.from_json(entity.to_json()) == entity


# A random document of the subset: built as a tree, written as markdown, and what it
# must show computed from the tree, so the converter is checked against the meaning.

INLINE = {"bold": "**", "italic": "_", "underline": "__", "strikethrough": "~~", "spoiler": "||"}
# Letters, spaces, every ASCII punctuation character (each marker's), astral characters.
ALPHABET = "ab Z1" + string.punctuation + "é🎉😀\u200b"
plain = st.text(ALPHABET, min_size=1, max_size=6).map(str.strip).filter(bool)


def escaped(text: str) -> str:
    return "".join(f"\\{ch}" if ch in string.punctuation else ch for ch in text)


@dataclass(frozen=True)
class Span:
    kind: str  # an entity type, or "text"
    text: str = ""
    children: tuple[Span, ...] = ()
    url: str | None = None


TEXT = plain.map(lambda t: Span("text", t))


def spans(depth: int, outer: frozenset[str] = frozenset()) -> st.SearchStrategy[Span]:
    """A span nested at most ``depth`` deep, of no kind an ``outer`` one already is."""
    no_code = "text_link" in outer  # a link's text holds no code
    kinds = [k for k in [*INLINE, "text_link", "code"] if k not in outer]
    kinds = [k for k in kinds if not (k == "code" and no_code)]
    if depth == 0 or not kinds:
        return TEXT

    def node(kind: str) -> st.SearchStrategy[Span]:
        if kind == "code":
            return plain.filter(lambda t: "`" not in t).map(lambda t: Span("code", t))
        # Text between children: the markers of neighbours never touch.
        inner = st.lists(st.tuples(spans(depth - 1, outer | {kind}), TEXT), max_size=2)
        url = st.sampled_from(["https://example.com/a_b", "http://x.y/(1)?q=**"])
        return st.builds(
            lambda first, rest, u: Span(kind, "", (first, *[s for pair in rest for s in pair]), u),
            TEXT,
            inner,
            url if kind == "text_link" else st.none(),
        )

    return st.sampled_from(kinds).flatmap(node)


def line_of(items: list[Span]) -> tuple[str, str, list[tuple[str, int, int]]]:
    """Markdown, the text shown and the entities expected, for spans separated by text
    (markers of neighbours never touch, as a writer would make sure of)."""
    source: list[str] = []
    shown: list[str] = []
    expected: list[tuple[str, int, int]] = []

    def walk(span: Span) -> None:
        start = utf16_length("".join(shown))
        if span.kind == "text":
            source.append(escaped(span.text))
            shown.append(span.text)
            return
        if span.kind == "code":
            source.append(f"`{span.text}`")
            shown.append(span.text)
        else:
            source.append("[" if span.kind == "text_link" else INLINE[span.kind])
            for child in span.children:
                walk(child)
            url = (span.url or "").replace(")", "\\)")
            source.append(f"]({url})" if span.kind == "text_link" else INLINE[span.kind])
        expected.append((span.kind, start, utf16_length("".join(shown)) - start))

    for index, item in enumerate(items):
        if index:
            walk(Span("text", " "))
        walk(item)
    return "".join(source), "".join(shown), expected


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, str, list[tuple[str, int, int]]]:
    lines: list[str] = []
    shown: list[str] = []
    expected: list[tuple[str, int, int]] = []
    last_quote = None
    for _ in range(draw(st.integers(1, 5))):
        block = draw(st.sampled_from(["line", "quote", "expandable", "fence"]))
        if block == last_quote:  # two quotes in a row would be one
            block = "line"
        last_quote = block if block in ("quote", "expandable") else None
        base = utf16_length("\n".join(shown)) + (1 if shown else 0)
        if block == "fence":
            code = draw(st.lists(plain.filter(lambda t: "```" not in t), min_size=1, max_size=3))
            lines += ["```" + draw(st.sampled_from(["", "python", "c++"])), *code, "```"]
            shown.append("\n".join(code))
            expected.append(("pre", base, utf16_length(shown[-1])))
            continue
        source, text, inner = line_of(draw(st.lists(spans(2), min_size=1, max_size=3)))
        prefix = {"line": "", "quote": "> ", "expandable": ">!"}[block]
        if block == "line" and source.startswith(">"):
            source = "\\" + source
        lines.append(prefix + source)
        shown.append(text)
        if block != "line":
            kind = "blockquote" if block == "quote" else "expandable_blockquote"
            expected.append((kind, base, utf16_length(text)))
        expected += [(k, base + o, n) for k, o, n in inner]
    return "\n".join(lines), "\n".join(shown), expected


@settings(max_examples=150, deadline=None)
@given(documents())
def test_random_documents_convert_to_valid_entities_that_show_the_text(
    document: tuple[str, str, list[tuple[str, int, int]]],
) -> None:
    source, shown, expected = document
    formatted = to_entities(source)
    assert formatted.text == shown
    assert problems(formatted) == []
    assert sorted(entities(source)) == sorted(expected)
    assert problems(formatted.stripped()) == []
