"""TemplateRegistry: built-ins, the on-disk format, locales, overrides, escaping, errors."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald.channel import Channel
from herald.messaging.templates import (
    ChannelNotSupported,
    InlineButton,
    InvalidTemplate,
    InvalidVariable,
    MessageTooLong,
    MissingVariables,
    RenderedEmail,
    RenderedPush,
    RenderedTelegram,
    RenderFailed,
    TemplateError,
    TemplateNotFound,
    TemplateRegistry,
    escape_markdown_v2,
    unescape_markdown_v2,
)
from tests.unit.messaging.test_markdown import TEXT_RESERVED, markers

BUILTINS = ["position_entry_failed", "position_sl_failed", "position_tp_failed"]
COMMON = ["entry_price", "error", "side", "symbol", "time", "volume"]
REQUIRED = {
    "position_entry_failed": COMMON,
    "position_sl_failed": sorted([*COMMON, "position_id", "sl_price"]),
    "position_tp_failed": sorted([*COMMON, "position_id", "tp_price"]),
}
HOSTILE = "_*[]()~`>#+-=|{}.!\\ <script>alert('x')</script> \"q\" {{ 7*7 }}"


@pytest.fixture(scope="module")
def builtins() -> TemplateRegistry:
    return TemplateRegistry()


def write(root: Path, files: Mapping[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def own(tmp_path: Path, files: Mapping[str, str], **options: Any) -> TemplateRegistry:
    """A registry of only the given files (no built-ins)."""
    return TemplateRegistry(write(tmp_path / "templates", files), builtin=False, **options)


def example(registry: TemplateRegistry, name: str, **changes: Any) -> dict[str, Any]:
    return {**registry.get(name).example, **changes}


def all_text(message: object) -> str:
    if isinstance(message, RenderedEmail):
        return "\n".join([message.subject, message.text, message.html])
    if isinstance(message, RenderedTelegram):
        return message.text
    assert isinstance(message, RenderedPush)
    return "\n".join([message.title, message.body])


# -- built-ins ---------------------------------------------------------------------------


def test_builtin_templates_are_listed_with_all_channels(builtins: TemplateRegistry) -> None:
    assert builtins.names() == BUILTINS
    for name in BUILTINS:
        info = builtins.get(name)
        assert info.channels == frozenset(Channel)
        assert info.description
        assert "position_url" in info.optional_variables
        assert name in builtins


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_required_variables(builtins: TemplateRegistry, name: str) -> None:
    assert builtins.required_variables(name) == REQUIRED[name]
    assert builtins.get(name).required_variables == tuple(REQUIRED[name])
    assert set(REQUIRED[name]) <= set(builtins.get(name).example)


@pytest.mark.parametrize("name", BUILTINS)
@pytest.mark.parametrize("channel", list(Channel))
@pytest.mark.parametrize(
    ("side", "direction", "other"), [("buy", "long", "short"), ("SELL", "short", "long")]
)
def test_builtins_render_with_side_dependent_wording(
    builtins: TemplateRegistry, name: str, channel: Channel, side: str, direction: str, other: str
) -> None:
    message = builtins.render(name, channel, example(builtins, name, side=side))
    text = all_text(message)
    assert direction in text
    assert other not in text
    assert "EURUSD" in text


@pytest.mark.parametrize(
    ("name", "side", "move"),
    [
        ("position_sl_failed", "buy", "falls to"),
        ("position_sl_failed", "sell", "rises to"),
        ("position_tp_failed", "buy", "rises to"),
        ("position_tp_failed", "sell", "falls to"),
    ],
)
def test_protection_failures_say_which_way_the_price_must_move(
    builtins: TemplateRegistry, name: str, side: str, move: str
) -> None:
    variables = example(builtins, name, side=side)
    assert move in builtins.render(name, "email", variables).text
    assert move in unescape_markdown_v2(builtins.render(name, "telegram", variables).text)
    assert move.split()[0][:-1] in builtins.render(name, "push", variables).body  # "fall"/"rise"


@pytest.mark.parametrize("name", ["position_sl_failed", "position_tp_failed"])
def test_stop_loss_and_take_profit_failures_are_urgent(
    builtins: TemplateRegistry, name: str
) -> None:
    rendered = builtins.render_all(name, example(builtins, name))
    email, telegram, push = (rendered[c] for c in (Channel.EMAIL, Channel.TELEGRAM, Channel.PUSH))
    assert isinstance(email, RenderedEmail)
    assert isinstance(telegram, RenderedTelegram)
    assert isinstance(push, RenderedPush)
    assert email.subject.startswith("URGENT:")
    assert "ACT NOW" in email.text
    assert telegram.text.startswith("🚨 *URGENT:")
    assert "URGENT" in push.title
    assert push.data["urgency"] == "high"


def test_entry_failure_is_not_urgent(builtins: TemplateRegistry) -> None:
    rendered = builtins.render_all(
        "position_entry_failed", example(builtins, "position_entry_failed")
    )
    assert all("URGENT" not in all_text(message) for message in rendered.values())
    push = rendered[Channel.PUSH]
    assert isinstance(push, RenderedPush) and push.data["urgency"] == "normal"


def test_builtin_push_and_buttons(builtins: TemplateRegistry) -> None:
    variables = example(builtins, "position_sl_failed")
    push = builtins.render("position_sl_failed", "push", variables)
    assert push.icon == "/static/icons/alert-192.png"
    assert push.badge == "/static/icons/badge-72.png"
    assert push.url == variables["position_url"]
    assert push.data == {
        "template": "position_sl_failed",
        "urgency": "high",
        "symbol": "EURUSD",
        "direction": "long",
        "position_id": "pos_8f3a2c",
    }
    telegram = builtins.render("position_sl_failed", "telegram", variables)
    assert telegram.buttons == (
        (InlineButton("Open the position", url=variables["position_url"]),),
    )


def test_optional_variables_may_be_left_out(builtins: TemplateRegistry) -> None:
    variables = example(builtins, "position_entry_failed")
    del variables["position_url"], variables["position_id"]
    telegram = builtins.render("position_entry_failed", "telegram", variables)
    assert telegram.buttons == ()  # the button's url rendered empty, so it was dropped
    assert "Reference" not in telegram.text
    push = builtins.render("position_entry_failed", "push", variables)
    assert push.url is None and push.data["position_id"] == ""


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_telegram_markup_is_untouched_by_hostile_values(
    builtins: TemplateRegistry, name: str
) -> None:
    plain = builtins.render(name, "telegram", example(builtins, name)).text
    hostile_vars = {
        key: HOSTILE for key in example(builtins, name) if key not in ("side", "position_url")
    }
    hostile = builtins.render(name, "telegram", example(builtins, name, **hostile_vars)).text
    assert markers(hostile) == markers(plain)
    assert set(markers(plain)) == {"*", "`"}
    assert markers(plain).count("*") % 2 == 0
    assert markers(plain).count("`") % 2 == 0
    assert escape_markdown_v2(HOSTILE) in hostile
    assert escape_markdown_v2(HOSTILE, "code") in hostile  # the position id, in a code span


def test_builtin_email_html_escapes_values(builtins: TemplateRegistry) -> None:
    variables = example(builtins, "position_sl_failed", error=HOSTILE)
    email = builtins.render("position_sl_failed", "email", variables)
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in email.html
    assert "<script>alert('x')</script>" in email.text
    assert email.html.startswith("<!DOCTYPE html>")


class Side(Enum):
    BUY = "buy"
    SELL = "sell"


@pytest.mark.parametrize(
    ("side", "direction"),
    [
        ("long", "long"),
        (" Buy ", "long"),
        ("SHORT", "short"),
        (Side.BUY, "long"),
        (Side.SELL, "short"),
    ],
)
def test_side_spellings(builtins: TemplateRegistry, side: object, direction: str) -> None:
    variables = example(builtins, "position_sl_failed", side=side)
    assert (
        f"Your {direction} position"
        in builtins.render("position_sl_failed", "push", variables).body
    )


def test_payloads_are_what_the_senders_read(builtins: TemplateRegistry) -> None:
    variables = example(builtins, "position_sl_failed")
    email = builtins.render_payload("position_sl_failed", "email", variables)
    assert set(email) == {"subject", "text", "html"}
    assert all(isinstance(value, str) for value in email.values())
    telegram = builtins.render_payload("position_sl_failed", "telegram", variables)
    assert telegram["parse_mode"] == "MarkdownV2"
    assert telegram["buttons"] == [
        [{"text": "Open the position", "url": variables["position_url"]}]
    ]
    del variables["position_url"]
    assert "buttons" not in builtins.render_payload("position_sl_failed", "telegram", variables)
    push = builtins.render_payload("position_sl_failed", "push", variables, locale="en")
    assert set(push) == {"title", "body", "icon", "badge", "data"}  # no url: it had none


def test_unknown_side_is_refused_rather_than_guessed(builtins: TemplateRegistry) -> None:
    with pytest.raises(InvalidVariable) as caught:
        builtins.render(
            "position_sl_failed", "telegram", example(builtins, "position_sl_failed", side="hold")
        )
    assert caught.value.name == "side"
    assert caught.value.value == "hold"


# -- errors --------------------------------------------------------------------------------


def test_missing_variables_are_all_listed_at_once(builtins: TemplateRegistry) -> None:
    with pytest.raises(MissingVariables) as caught:
        builtins.render("position_sl_failed", "telegram", {})
    assert caught.value.names == REQUIRED["position_sl_failed"]
    assert caught.value.template == "position_sl_failed"
    assert caught.value.channel == "telegram"
    assert "entry_price, error, position_id, side, sl_price, symbol, time, volume" in str(
        caught.value
    )


def test_missing_variables_lists_only_the_missing(builtins: TemplateRegistry) -> None:
    variables = example(builtins, "position_tp_failed")
    del variables["tp_price"], variables["time"]
    with pytest.raises(MissingVariables) as caught:
        builtins.render("position_tp_failed", "email", variables)
    assert caught.value.names == ["time", "tp_price"]
    with pytest.raises(MissingVariables) as caught_all:
        builtins.render_all("position_tp_failed", variables)
    assert caught_all.value.names == ["time", "tp_price"]
    assert caught_all.value.channel is None


def test_extra_variables_are_allowed(builtins: TemplateRegistry) -> None:
    variables = example(builtins, "position_entry_failed", unused="x", another=1)
    assert builtins.render("position_entry_failed", "push", variables).title


def test_unknown_template(builtins: TemplateRegistry) -> None:
    with pytest.raises(TemplateNotFound, match="no template named 'nope'") as caught:
        builtins.render("nope", "telegram", {})
    assert caught.value.name == "nope"
    for call in (builtins.get, builtins.required_variables, builtins.channels):
        with pytest.raises(TemplateNotFound):
            call("nope")
    with pytest.raises(TemplateNotFound):
        builtins.render_all("../position_sl_failed", {})


def test_unknown_channel(builtins: TemplateRegistry) -> None:
    with pytest.raises(ChannelNotSupported) as caught:
        builtins.render("position_sl_failed", "sms", {})
    assert (caught.value.name, caught.value.channel) == ("position_sl_failed", "sms")


def test_template_without_a_channel(tmp_path: Path) -> None:
    registry = own(tmp_path, {"only_tg/telegram.md.j2": "hi {{ who }}"})
    assert registry.channels("only_tg") == {Channel.TELEGRAM}
    with pytest.raises(ChannelNotSupported, match="has no 'push' variant") as caught:
        registry.render("only_tg", Channel.PUSH, {"who": "x"})
    assert caught.value.channel == "push"
    with pytest.raises(ChannelNotSupported):
        registry.required_variables("only_tg", "email")
    assert list(registry.render_all("only_tg", {"who": "x"})) == [Channel.TELEGRAM]


def test_telegram_text_over_4096_characters_is_refused(tmp_path: Path) -> None:
    registry = own(tmp_path, {"long/telegram.md.j2": "{{ body }}"})
    assert len(registry.render("long", "telegram", {"body": "a" * 4096}).text) == 4096
    with pytest.raises(MessageTooLong) as caught:
        registry.render("long", "telegram", {"body": "a" * 4097})
    assert (caught.value.channel, caught.value.length, caught.value.limit) == (
        "telegram",
        4097,
        4096,
    )
    with pytest.raises(MessageTooLong) as escaped:  # escaping counts: 2,049 dots are 4,098
        registry.render("long", "telegram", {"body": "." * 2049})
    assert escaped.value.length == 4098


def test_unguarded_optional_variable_fails_clearly(tmp_path: Path) -> None:
    registry = own(
        tmp_path,
        {
            "t/template.json": '{"optional": ["extra"]}',
            "t/telegram.md.j2": "{{ extra }}",
            "t/push.title.j2": "x",
            "t/push.body.j2": "",
        },
    )
    with pytest.raises(RenderFailed, match="'extra' is undefined"):
        registry.render("t", "telegram", {})
    assert registry.render("t", "push", {}).body == ""


def test_empty_telegram_message_is_refused(tmp_path: Path) -> None:
    registry = own(tmp_path, {"t/telegram.md.j2": "{{ x }}\n"})
    with pytest.raises(RenderFailed, match="empty"):
        registry.render("t", "telegram", {"x": "  "})


@pytest.mark.parametrize(
    ("files", "detail"),
    [
        ({"t/telegram.md": "x"}, "unknown file 't/telegram.md'"),
        ({"t/telegram.md.j2": "{% if %}"}, "t/telegram.md.j2, line 1"),
        ({"t/telegram.md.j2": "{{ x|nope }}"}, "No filter named 'nope'"),
        ({"t/telegram.md.j2": "x", "t/telegram.buttons.json": "[[{"}, "invalid JSON"),
        ({"t/telegram.md.j2": "x", "t/telegram.buttons.json": '[{"text": "a"}]'}, "rows"),
        (
            {"t/telegram.md.j2": "x", "t/telegram.buttons.json": '[[{"text": "a"}]]'},
            "exactly one of url, callback_data",
        ),
        ({"t/push.title.j2": "x", "t/push.body.j2": "y", "t/push.json": '{"sound": "x"}'}, "push"),
        (
            {"t/email.html.j2": "<p>x</p>"},
            "email variant (en) lacks email.subject.j2, email.txt.j2",
        ),
        ({"t/telegram.md.j2": "x", "t/template.json": '{"optional": "x"}'}, "optional is a list"),
        ({"t/template.json": "{}"}, "no channel files"),
        ({"t/de/x/telegram.md.j2": "x"}, "unexpected path"),
        ({"t/german/telegram.md.j2": "x"}, "unexpected path"),
        ({"bad name/telegram.md.j2": "x"}, "a template name is"),
        ({"t/telegram.md.j2": "{% include '_p/x.md.j2' %}", "_p/x.md.j2": "{% for %}"}, "line 1"),
    ],
)
def test_malformed_templates_are_refused_when_the_registry_is_built(
    tmp_path: Path, files: dict[str, str], detail: str
) -> None:
    with pytest.raises(InvalidTemplate) as caught:
        own(tmp_path, files)
    assert detail in str(caught.value)


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="is not a directory"):
        TemplateRegistry(tmp_path / "absent")
    with pytest.raises(ValueError, match="not a locale"):
        TemplateRegistry(default_locale="english!")


def test_hidden_files_and_top_level_files_are_ignored(tmp_path: Path) -> None:
    registry = own(
        tmp_path,
        {"README.md": "notes", "t/.telegram.md.j2.swp": "junk", "t/telegram.md.j2": "ok"},
    )
    assert registry.names() == ["t"]


# -- locales and overrides -----------------------------------------------------------------

GREET = {
    "greet/telegram.md.j2": "Hello {{ who }}\\!",
    "greet/de/telegram.md.j2": "Hallo {{ who }}\\!",
    "greet/email.subject.j2": "Hello {{ who }}",
    "greet/email.txt.j2": "Dear {{ who }}, hello.",
    "greet/email.html.j2": "<p>Dear {{ who }}, hello.</p>",
    "greet/de/email.subject.j2": "Hallo {{ who }}",
}


def test_locale_variant_is_used_and_others_fall_back_to_default(tmp_path: Path) -> None:
    registry = own(tmp_path, GREET)
    assert registry.get("greet").locales == ("de",)
    assert registry.render("greet", "telegram", {"who": "Ana"}).text == "Hello Ana\\!"
    assert registry.render("greet", "telegram", {"who": "Ana"}, locale="de").text == "Hallo Ana\\!"
    assert registry.render("greet", "telegram", {"who": "Ana"}, locale="fr").text == "Hello Ana\\!"
    for regional in ("de-AT", "de_at", "DE"):
        text = registry.render("greet", "telegram", {"who": "Ana"}, locale=regional).text
        assert text == "Hallo Ana\\!"


def test_locale_fallback_is_file_by_file(tmp_path: Path) -> None:
    email = own(tmp_path, GREET).render("greet", "email", {"who": "Ana"}, locale="de")
    assert email.subject == "Hallo Ana"  # from de/
    assert email.text == "Dear Ana, hello."  # from the default
    assert email.html == "<p>Dear Ana, hello.</p>"


def test_default_locale_is_configurable(tmp_path: Path) -> None:
    registry = own(tmp_path, GREET, default_locale="de")
    assert registry.default_locale == "de"
    assert registry.render("greet", "telegram", {"who": "Ana"}).text == "Hallo Ana\\!"
    assert registry.render("greet", "telegram", {"who": "Ana"}, locale="fr").text == "Hallo Ana\\!"


def test_a_channel_may_exist_in_one_locale_only(tmp_path: Path) -> None:
    registry = own(
        tmp_path, {**GREET, "greet/de/push.title.j2": "Hallo", "greet/de/push.body.j2": "!"}
    )
    assert Channel.PUSH not in registry.channels("greet")
    assert Channel.PUSH in registry.channels("greet", locale="de")
    with pytest.raises(ChannelNotSupported, match="locale 'fr'"):
        registry.render("greet", "push", {}, locale="fr")


def test_directory_file_overrides_a_builtin_file(tmp_path: Path) -> None:
    directory = write(
        tmp_path / "t", {"position_sl_failed/telegram.md.j2": "SL lost on {{ symbol }}"}
    )
    registry = TemplateRegistry(directory)
    variables = example(registry, "position_sl_failed", symbol="BTC_USD")
    assert (
        registry.render("position_sl_failed", "telegram", variables).text == "SL lost on BTC\\_USD"
    )
    assert registry.required_variables("position_sl_failed", "telegram") == ["symbol"]
    # The other channels are still the built-in ones.
    assert registry.render("position_sl_failed", "email", variables).subject.startswith("URGENT")
    assert registry.required_variables("position_sl_failed") == REQUIRED["position_sl_failed"]


def test_directory_adds_templates_and_translations_of_builtins(tmp_path: Path) -> None:
    directory = write(
        tmp_path / "t",
        {
            "welcome/telegram.md.j2": "Welcome\\!",
            "position_tp_failed/de/push.title.j2": "DRINGEND: kein Take-Profit für {{ symbol }}",
        },
    )
    registry = TemplateRegistry(directory)
    assert registry.names() == [*BUILTINS, "welcome"]
    variables = example(registry, "position_tp_failed")
    german = registry.render("position_tp_failed", "push", variables, locale="de")
    assert german.title == "DRINGEND: kein Take-Profit für EURUSD"
    assert "take-profit" in german.body  # the body has no German file: the default one


# -- escaping by target ----------------------------------------------------------------------

MAIL = {
    "mail/email.subject.j2": "Alert: {{ x }}",
    "mail/email.html.j2": "<p>{{ x }}</p>",
    "mail/email.txt.j2": "Value: {{ x }}",
}


def test_html_is_escaped_in_the_html_part_only(tmp_path: Path) -> None:
    email = own(tmp_path, MAIL).render("mail", "email", {"x": "<script>alert(1)</script> & co"})
    assert email.html == "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</p>"
    assert email.text == "Value: <script>alert(1)</script> & co"
    assert email.subject == "Alert: <script>alert(1)</script> & co"


def test_subject_is_one_line(tmp_path: Path) -> None:
    email = own(tmp_path, MAIL).render("mail", "email", {"x": "a\r\nBcc: evil@example.com\n b"})
    assert email.subject == "Alert: a Bcc: evil@example.com b"
    assert email.to_payload()["subject"] == email.subject


def test_telegram_helpers_in_templates(tmp_path: Path) -> None:
    registry = own(
        tmp_path,
        {
            "t/telegram.md.j2": (
                "{% macro bold(v) %}*{{ v }}*{% endmacro %}"
                "{{ bold(title)|safe }} `{{ id|code }}` [{{ label }}]({{ url|link_url }}) "
                "{{ link(label, url) }} {{ title|e }} {{ '*' }}"
            )
        },
    )
    text = registry.render(
        "t", "telegram", {"title": "a_b", "id": "x`y", "label": "go!", "url": "https://x.test/(1)"}
    ).text
    assert text == (
        "*a\\_b* `x\\`y` [go\\!](https://x.test/(1\\)) [go\\!](https://x.test/(1\\)) a\\_b \\*"
    )


def test_includes_are_shared_and_their_variables_required(tmp_path: Path) -> None:
    registry = own(
        tmp_path,
        {
            "_shared/footer.md.j2": "_{{ team }}_",
            "t/telegram.md.j2": "Hi {{ who }}\n{% include '_shared/footer.md.j2' %}",
        },
    )
    assert registry.required_variables("t") == ["team", "who"]
    assert registry.render("t", "telegram", {"who": "a.b", "team": "Ops-1"}).text == (
        "Hi a\\.b\n_Ops\\-1_"
    )


# -- buttons and push ------------------------------------------------------------------------

BUTTONS = {
    "b/telegram.md.j2": "Order {{ id }}",
    "b/telegram.buttons.json": """[
        [{"text": "Open {{ id }}", "url": "https://x.test/o/{{ id }}"},
         {"text": "Help", "url": "{{ help_url | default('') }}"}],
        [{"text": "Cancel", "callback_data": "cancel:{{ id }}"}],
        [{"text": "{{ maybe | default('') }}", "callback_data": "m"}]
    ]""",
}


def test_buttons_are_templated_and_empty_ones_dropped(tmp_path: Path) -> None:
    registry = own(tmp_path, BUTTONS)
    message = registry.render("b", "telegram", {"id": '7"},{'})
    assert message.buttons == (
        (InlineButton('Open 7"},{', url='https://x.test/o/7"},{'),),
        (InlineButton("Cancel", callback_data='cancel:7"},{'),),
    )
    assert message.to_payload() == {
        "text": 'Order 7"\\},\\{',
        "parse_mode": "MarkdownV2",
        "buttons": [
            [{"text": 'Open 7"},{', "url": 'https://x.test/o/7"},{'}],
            [{"text": "Cancel", "callback_data": 'cancel:7"},{'}],
        ],
    }
    with_help = registry.render("b", "telegram", {"id": "1", "help_url": "https://h.test"})
    assert [b.text for b in with_help.buttons[0]] == ["Open 1", "Help"]


def test_callback_data_over_64_bytes_is_refused(tmp_path: Path) -> None:
    registry = own(tmp_path, BUTTONS)
    assert registry.render("b", "telegram", {"id": "x" * 57}).buttons[1][0].callback_data
    with pytest.raises(MessageTooLong) as caught:
        registry.render("b", "telegram", {"id": "é" * 29})  # 7 + 58 bytes
    assert (caught.value.length, caught.value.limit) == (65, 64)


def test_push_parts(tmp_path: Path) -> None:
    registry = own(
        tmp_path,
        {
            "p/push.title.j2": "Hi\n{{ who }}",
            "p/push.body.j2": "{{ who }} <b>&</b>\n",
            "p/push.json": '{"icon": "/i/{{ kind }}.png", "badge": "{{ b | default(\'\') }}",'
            ' "data": {"who": "{{ who }}", "n": 3, "tags": ["{{ kind }}", true]}}',
        },
    )
    push = registry.render("p", "push", {"who": "Ana", "kind": "alert"})
    assert push == RenderedPush(
        title="Hi Ana",
        body="Ana <b>&</b>",
        icon="/i/alert.png",
        badge=None,
        url=None,
        data={"who": "Ana", "n": 3, "tags": ["alert", True]},
    )
    assert push.to_payload() == {
        "title": "Hi Ana",
        "body": "Ana <b>&</b>",
        "icon": "/i/alert.png",
        "data": {"who": "Ana", "n": 3, "tags": ["alert", True]},
    }
    assert registry.required_variables("p") == ["kind", "who"]


# -- properties ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def injection(tmp_path_factory: pytest.TempPathFactory) -> TemplateRegistry:
    root = tmp_path_factory.mktemp("injection")
    files = {
        "bold/telegram.md.j2": "*{{ title }}*\n{{ body }}",
        "mixed/telegram.md.j2": "`{{ c|code }}`\n[{{ t }}]({{ u|link_url }})\n{{ link(t, u) }}",
    }
    return TemplateRegistry(write(root, files), builtin=False)


values = st.text(alphabet=st.one_of(st.sampled_from(TEXT_RESERVED), st.characters()), max_size=200)


@given(title=values, body=values)
def test_any_value_renders_with_only_the_templates_markers(
    injection: TemplateRegistry, title: str, body: str
) -> None:
    text = injection.render("bold", "telegram", {"title": title, "body": body}).text
    assert markers(text) == ["*", "*"]
    assert text == ("*" + escape_markdown_v2(title) + "*\n" + escape_markdown_v2(body)).strip()
    closing = text.index("*", 1 + len(escape_markdown_v2(title)))
    assert unescape_markdown_v2(text[1:closing]) == title


@given(c=values, t=values, u=values)
def test_any_value_in_code_and_links_renders_with_only_the_templates_markers(
    injection: TemplateRegistry, c: str, t: str, u: str
) -> None:
    text = injection.render("mixed", "telegram", {"c": c, "t": t, "u": u}).text
    assert markers(text) == ["`", "`", "[", "]", "(", ")", "[", "]", "(", ")"]
    code_end = 1 + len(escape_markdown_v2(c, "code"))
    assert unescape_markdown_v2(text[1:code_end]) == c
