"""Properties of rendering the built-in templates with any values, on every channel.

tests/unit/messaging/test_markdown.py covers the escaper against its own scanner and
test_templates.py small custom templates; here the built-ins get arbitrary values and
the result is checked the way each receiver reads it: Telegram's MarkdownV2 parser
(the fake Bot API's, tdlib's rules) shows every value exactly and no markup but the
template's; the HTML email has the template's elements and attributes only; subjects
and titles stay one line (a newline in a subject is a header injection); push data
cannot gain keys. And no value of any JSON type makes a render raise anything but a
TemplateError (which the API answers with a 4xx, never a 500).
"""

from __future__ import annotations

import contextlib
import json
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herald.messaging.templates import (
    MessageTooLong,
    TemplateError,
    TemplateRegistry,
    escape_markdown_v2,
)
from tests.support.fake_telegram import parse_markdown_v2
from tests.unit.messaging.test_markdown import TEXT_RESERVED, markers

REGISTRY = TemplateRegistry()
BUILTINS = REGISTRY.names()
SIDES = st.sampled_from(["buy", "sell", "long", "short", " Buy ", "SHORT"])
# Markup of every receiver, line breaks of every kind, and any other character but lone
# surrogates (which no receiver could be sent: they are not Unicode text).
HOSTILE = TEXT_RESERVED + "<>&\"'=/\r\n\t\x0b\x0c\x1c\x85\u2028\u2029{}%#"
CHARACTERS = st.characters(exclude_categories=["Cs"])
values = st.text(alphabet=st.one_of(st.sampled_from(HOSTILE), CHARACTERS), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
PROPERTY = settings(max_examples=60, deadline=None)


@st.composite
def variables(draw: st.DrawFn, name: str) -> dict[str, Any]:
    """The template's example with every value drawn: any text, a valid side, and
    position_url any text or left out."""
    drawn: dict[str, Any] = {}
    for key in REGISTRY.get(name).example:
        if key == "side":
            drawn[key] = draw(SIDES)
        elif key != "position_url" or draw(st.booleans()):
            drawn[key] = draw(values)
    return drawn


def reference(name: str, drawn: dict[str, Any]) -> dict[str, Any]:
    """The example values with the drawn side and the same optional variables: what
    the drawn render must look like structurally."""
    example = REGISTRY.get(name).example
    return {k: drawn["side"] if k == "side" else example[k] for k in drawn}


def tags(html: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each element's name and attribute names, in document order, as the standard
    library's HTML parser reads them (a value such as `" 0="` is one attribute's value,
    which a regular expression over the tag took for another attribute)."""
    found: list[tuple[str, tuple[str, ...]]] = []

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, tuple(name for name, _ in attrs)))

        def handle_endtag(self, tag: str) -> None:
            found.append(("/" + tag, ()))

        def handle_decl(self, decl: str) -> None:
            found.append(("!" + decl.split()[0], ()))

    Reader().feed(html)
    return found


@pytest.mark.parametrize("name", BUILTINS)
@PROPERTY
@given(data=st.data())
def test_telegram_shows_every_value_exactly_with_the_templates_markup_only(
    name: str, data: st.DataObject
) -> None:
    drawn = data.draw(variables(name))
    try:
        message = REGISTRY.render(name, "telegram", drawn)
    except MessageTooLong:
        return  # refused, never cut: fine
    plain = REGISTRY.render(name, "telegram", reference(name, drawn))
    assert markers(message.text) == markers(plain.text)
    shown = parse_markdown_v2(message.text)  # raises where Telegram would refuse it
    for key, value in drawn.items():
        if key not in ("side", "position_url"):
            assert value.strip() in shown, key
    urls = [b.url for row in message.buttons for b in row]
    url = str(drawn.get("position_url", "")).strip()  # JSON parts are rendered, then stripped
    assert urls == ([url] if url else [])


@pytest.mark.parametrize("name", BUILTINS)
@PROPERTY
@given(data=st.data())
def test_email_keeps_its_elements_and_a_one_line_subject(name: str, data: st.DataObject) -> None:
    drawn = data.draw(variables(name))
    email = REGISTRY.render(name, "email", drawn)
    plain = REGISTRY.render(name, "email", reference(name, drawn))
    assert tags(email.html) == tags(plain.html)
    assert len(email.subject.splitlines()) == 1 and email.subject == email.subject.strip()
    assert "\r" not in email.subject and "\n" not in email.subject


@pytest.mark.parametrize("name", BUILTINS)
@PROPERTY
@given(data=st.data())
def test_push_has_a_one_line_title_and_data_that_gains_no_keys(
    name: str, data: st.DataObject
) -> None:
    drawn = data.draw(variables(name))
    push = REGISTRY.render(name, "push", drawn)
    plain = REGISTRY.render(name, "push", reference(name, drawn))
    assert len(push.title.splitlines()) == 1
    assert set(push.data) == set(plain.data)
    assert push.data["symbol"] == drawn["symbol"].strip()  # the value, not JSON around it
    json.dumps(push.to_payload())  # what the sender encrypts and sends


@pytest.mark.parametrize("name", BUILTINS)
@PROPERTY
@given(data=st.data())
def test_values_of_any_json_type_render_or_raise_a_template_error(
    name: str, data: st.DataObject
) -> None:
    """The API takes vars as any JSON; a render that raised anything else would be a 500."""
    keys = list(REGISTRY.get(name).example)
    drawn = {k: data.draw(json_values | SIDES, label=k) for k in keys if data.draw(st.booleans())}
    with contextlib.suppress(TemplateError):
        REGISTRY.render_all(name, drawn)


@given(s=values)
def test_escaped_text_is_shown_exactly_by_telegrams_parser(s: str) -> None:
    """tdlib reads a backslash as an escape only before ASCII 1-126: the escaper must
    never rely on more (test_markdown.py checks it against its own scanner)."""
    assert parse_markdown_v2(escape_markdown_v2(s)) == s
    assert parse_markdown_v2("`" + escape_markdown_v2(s, "code") + "`") == s
    assert parse_markdown_v2("*" + escape_markdown_v2(s) + "*") == s


@given(text=values, url=values)
def test_a_link_with_any_url_parses_and_shows_only_its_text(text: str, url: str) -> None:
    built = f"[{escape_markdown_v2(text)}]({escape_markdown_v2(url, 'link_url')})"
    assert parse_markdown_v2(built) == text
