"""Chat and user id lists in settings: accept what people paste (JSON or a,b), keep ids as
strings so @channel names and -100... supergroups survive, and name any bad value."""

from __future__ import annotations

import pytest

from herald.config import ConfigError, load_settings, parse_chat_ids, parse_user_ids

# -- parse_chat_ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('[-1001234567890, "@my_channel", "42", 7]', ["-1001234567890", "@my_channel", "42", "7"]),
        ("  [ -1001 , -1002 ]  ", ["-1001", "-1002"]),
        ('[" -1001 "]', ["-1001"]),
        ("[]", []),
        ("-1001,-1002", ["-1001", "-1002"]),
        (" -1001 ,  -1002 , @channelname ", ["-1001", "-1002", "@channelname"]),
        ("@channelname", ["@channelname"]),
        ("42", ["42"]),
        ("-1001,,-1002,", ["-1001", "-1002"]),
        ("", []),
        ("   ", []),
        ([-1001, "@channelname"], ["-1001", "@channelname"]),
        ((1, 2), ["1", "2"]),
    ],
)
def test_parse_chat_ids_accepts_json_and_comma_separated(
    value: object, expected: list[str]
) -> None:
    assert parse_chat_ids(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-1002,-1001,-1002,-1001,42", ["-1002", "-1001", "42"]),
        ('[5, "5", " 5 ", 3]', ["5", "3"]),
        ("@news,@news", ["@news"]),
    ],
)
def test_parse_chat_ids_drops_duplicates_keeping_first_order(
    value: str, expected: list[str]
) -> None:
    """A chat listed twice must not be posted to twice."""
    assert parse_chat_ids(value) == expected


@pytest.mark.parametrize(
    ("value", "bad"),
    [
        ("-1001,abc", "'abc'"),
        ("-1001,0", "'0'"),
        ("007", "'007'"),
        ("-", "'-'"),
        ("1.5", "'1.5'"),
        ("@abc", "'@abc'"),  # Telegram usernames have at least 5 characters
        ("@1channel", "'@1channel'"),
        ("channelname", "'channelname'"),
        ("@chan-nel", "'@chan-nel'"),
        ("-1001 -1002", "'-1001 -1002'"),
        ("1" * 21, repr("1" * 21)),
        ('["ok_not", 1]', "'ok_not'"),
        ("[true]", "True"),
        ("[1.5]", "1.5"),
        ("[null]", "None"),
        ('[["-1001"]]', "['-1001']"),
        ('[""]', "''"),
    ],
)
def test_parse_chat_ids_names_the_bad_value(value: str, bad: str) -> None:
    with pytest.raises(ValueError, match="is not a chat id") as excinfo:
        parse_chat_ids(value)
    assert bad in str(excinfo.value)


@pytest.mark.parametrize("value", ["[-1001,", "[1 2]", "['-1001']"])
def test_parse_chat_ids_refuses_broken_json(value: str) -> None:
    with pytest.raises(ValueError, match="not a valid JSON list"):
        parse_chat_ids(value)


@pytest.mark.parametrize("value", [5, None, {"a": 1}])
def test_parse_chat_ids_refuses_other_types(value: object) -> None:
    with pytest.raises(ValueError, match="expected a JSON list or comma-separated chat ids"):
        parse_chat_ids(value)


def test_parse_chat_ids_refuses_non_ascii_digits() -> None:
    with pytest.raises(ValueError, match="is not a chat id"):
        parse_chat_ids("-100\u0661\u0662\u0663")  # ARABIC-INDIC DIGITS ONE TWO THREE


# -- parse_user_ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("777, 888", [777, 888]),
        ('[777, "888"]', [777, 888]),
        ("777,777", [777]),
        ("", []),
        ([1, 2], [1, 2]),
    ],
)
def test_parse_user_ids(value: object, expected: list[int]) -> None:
    assert parse_user_ids(value) == expected


@pytest.mark.parametrize(
    ("value", "bad", "message"),
    [
        ("777,@someone", "'@someone'", "is not a numeric Telegram user id"),
        ("777,abc", "'abc'", "is not a chat id"),
        ("[true]", "True", "is not a chat id"),
    ],
)
def test_parse_user_ids_names_the_bad_value(value: str, bad: str, message: str) -> None:
    """A user is a number: an @name (a chat) cannot be an administrator id."""
    with pytest.raises(ValueError, match=message) as excinfo:
        parse_user_ids(value)
    assert bad in str(excinfo.value)


# -- through load_settings -------------------------------------------------------------


def test_load_settings_accepts_chat_id_overrides() -> None:
    settings = load_settings(env="dev", guide_chat_ids="-1001, @guides", promo_chat_ids=[-5])
    assert settings.guide_chat_ids == ["-1001", "@guides"]
    assert settings.promo_chat_ids == ["-5"]
    assert settings.telegram_admin_ids == []


def test_bad_guide_chat_id_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_settings(env="dev", guide_chat_ids="-1001,not-a-chat")
    message = str(excinfo.value)
    assert message.startswith("HERALD_GUIDE_CHAT_IDS:")
    assert "'not-a-chat'" in message
    assert "\n" not in message


def test_bad_admin_id_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_settings(env="dev", telegram_admin_ids="@admin")
    assert str(excinfo.value).startswith("HERALD_TELEGRAM_ADMIN_IDS:")
    assert "'@admin'" in str(excinfo.value)


def test_chat_ids_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Comma-separated in the environment must not be taken for JSON by pydantic-settings."""
    monkeypatch.setenv("HERALD_PROMO_CHAT_IDS", "-1001,-1002")
    monkeypatch.setenv("HERALD_GUIDE_CHAT_IDS", '["@guides", -1003]')
    monkeypatch.setenv("HERALD_TELEGRAM_ADMIN_IDS", "777")
    settings = load_settings(env="dev")
    assert settings.promo_chat_ids == ["-1001", "-1002"]
    assert settings.guide_chat_ids == ["@guides", "-1003"]
    assert settings.telegram_admin_ids == [777]


def test_bad_chat_id_in_the_environment_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HERALD_PROMO_CHAT_IDS", "-1001,oops")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(env="dev")
    assert str(excinfo.value).startswith("HERALD_PROMO_CHAT_IDS:")
    assert "'oops'" in str(excinfo.value)


def test_unset_chat_ids_are_empty() -> None:
    settings = load_settings(env="dev")
    assert settings.guide_chat_ids == []
    assert settings.promo_chat_ids == []


def test_webhook_mode_without_a_secret_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the secret anyone could post fake updates to the webhook."""
    monkeypatch.setenv("HERALD_TELEGRAM_UPDATES", "webhook")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(env="dev")
    message = str(excinfo.value)
    assert "HERALD_TELEGRAM_UPDATES" in message
    assert "HERALD_TELEGRAM_WEBHOOK_SECRET" in message


def test_webhook_mode_with_a_secret_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_TELEGRAM_UPDATES", "webhook")
    monkeypatch.setenv("HERALD_TELEGRAM_WEBHOOK_SECRET", "s3cret_token-1")
    assert load_settings(env="dev").telegram_updates == "webhook"
